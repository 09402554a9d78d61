/**
 * Starts a simulator process for a benchmark (src/bench/sim-entry.ts) on a free loopback port.
 */
import { BenchProcess } from './bench-process';
import { compiledBenchFile } from './compiled-file';
import type { BenchSimulatorSpec } from './sim-entry';
import type { SimulatorModel, SimulatorProfile } from '../simulator/types';

export interface LaunchedSimulator {
  url: string;
  process: BenchProcess<string>;
}

/** The URL in a `{"event":"ready","url":...}` line, which the benchmarks' own server processes print when listening. */
export function readyUrl(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const event = JSON.parse(line) as { event?: string; url?: string };
    return event.event === 'ready' ? event.url : undefined;
  } catch {
    return undefined;
  }
}

export async function startBenchSimulator(name: string, model: SimulatorModel, instant: boolean): Promise<LaunchedSimulator> {
  const spec: BenchSimulatorSpec = { model, instant, host: '127.0.0.1', port: 0 };
  const proc = new BenchProcess<string>({
    name,
    command: process.execPath,
    args: [compiledBenchFile('sim-entry'), JSON.stringify(spec)],
    ready: readyUrl,
  });
  const url = await proc.start();
  return { url, process: proc };
}

/** A model with another latency profile and capacity. */
export function withProfile(model: SimulatorModel, profile: Partial<SimulatorProfile>, maxNumSeqs?: number): SimulatorModel {
  return { ...model, profile: { ...model.profile, ...profile }, maxNumSeqs: maxNumSeqs ?? model.maxNumSeqs };
}
