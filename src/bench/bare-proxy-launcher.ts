/** Starts the bare proxy (path D, bare-proxy-entry.ts) as its own process on a free loopback port. */
import { BenchProcess } from './bench-process';
import { compiledBenchFile } from './compiled-file';
import { readyUrl } from './simulator-launcher';

export interface LaunchedBareProxy {
  url: string;
  process: BenchProcess<string>;
}

export async function startBareProxyProcess(upstreams: string[]): Promise<LaunchedBareProxy> {
  const proc = new BenchProcess<string>({
    name: 'bare proxy (node:http + undici Pool)',
    command: process.execPath,
    args: [compiledBenchFile('bare-proxy-entry'), JSON.stringify(upstreams)],
    ready: readyUrl,
  });
  const url = await proc.start();
  return { url, process: proc };
}
