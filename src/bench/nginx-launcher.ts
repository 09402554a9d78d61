/**
 * Starts nginx (the reference proxy) in the foreground from a generated configuration in a
 * temporary prefix folder, on a free loopback port.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { BenchProcess } from './bench-process';
import { NGINX_HEALTH_PATH, renderNginxConfig } from './nginx-config';
import { waitForHttp } from './wait-for-http';

export interface LaunchedNginx {
  url: string;
  process: BenchProcess<void>;
  stop(): Promise<void>;
}

export async function startNginx(nginxPath: string, upstreams: string[], workerProcesses = 1): Promise<LaunchedNginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'citadel-nginx-'));
  // Workers may run as another user when nginx starts as root: they must reach the prefix.
  chmodSync(prefix, 0o755);
  // nginx takes its port from its configuration file, so one is chosen for it (not port 0).
  const port = await getPort({ host: '127.0.0.1' });
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, renderNginxConfig({ prefix, listenHost: '127.0.0.1', listenPort: port, upstreams, workerProcesses }));
  const proc = new BenchProcess<void>({ name: 'nginx', command: nginxPath, args: ['-p', prefix, '-c', conf], exitSignal: 'SIGTERM' });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await proc.stop(5_000);
    rmSync(prefix, { recursive: true, force: true });
  };
  try {
    await proc.start();
    await waitForHttp(url + NGINX_HEALTH_PATH, 10_000, () => proc.running);
  } catch (error) {
    const log = proc.output;
    await stop();
    throw new Error(`nginx did not start: ${(error as Error).message}${log ? `\n${log}` : ''}`);
  }
  return { url, process: proc, stop };
}
