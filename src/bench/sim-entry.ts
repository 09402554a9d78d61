/**
 * The simulator process the benchmarks start: the same server as `citadel-llm sim` (startSimulator),
 * with a latency profile given whole on the command line as JSON, e.g. 64 tokens 20 ms apart with
 * no slowdown per running sequence. Prints `{"event":"ready","url":...}` when listening; stops on
 * SIGTERM or SIGINT.
 */
import { startSimulator } from '../simulator/sim-server';
import type { SimulatorModel } from '../simulator/types';
import { runServerEntry } from './server-entry';

export interface BenchSimulatorSpec {
  model: SimulatorModel;
  /** Zero delays (the instant profile). */
  instant: boolean;
  host: string;
  port: number;
}

if (require.main === module) {
  runServerEntry('bench simulator', async () => {
    const spec = JSON.parse(process.argv[2] ?? '') as BenchSimulatorSpec;
    const sim = await startSimulator({ models: [spec.model], instant: spec.instant }, { port: spec.port, host: spec.host });
    return { ready: { url: sim.url, port: sim.port, model: spec.model.servedName }, close: () => sim.close() };
  });
}
