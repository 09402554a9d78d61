/** Starts a framework floor (floor-entry.ts) as its own process on a free loopback port. */
import { BenchProcess } from './bench-process';
import { compiledBenchFile } from './compiled-file';
import type { FloorName } from './framework-floors';
import { readyUrl } from './simulator-launcher';

export interface LaunchedFloor {
  url: string;
  process: BenchProcess<string>;
}

export async function startFloorProcess(name: FloorName, upstreams: string[]): Promise<LaunchedFloor> {
  const proc = new BenchProcess<string>({
    name: `framework floor ${name}`,
    command: process.execPath,
    args: [compiledBenchFile('floor-entry'), name, JSON.stringify(upstreams)],
    ready: readyUrl,
  });
  const url = await proc.start();
  return { url, process: proc };
}
