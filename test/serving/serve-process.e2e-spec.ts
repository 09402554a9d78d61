import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { freePortsEnv, REPO } from '../support/start-citadel';

/** `citadel-llm serve` as a process: boots all four models and the gateway, stops cleanly on a signal. */
describe('citadel-llm serve (the process npm start runs)', () => {
  function serve(): { child: ChildProcess; gateway: Promise<string>; exit: Promise<number | null> } {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'main.js'), 'serve', '--host', '127.0.0.1'], {
      cwd: REPO,
      env: { ...process.env, ...freePortsEnv(), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const gateway = new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /the gateway serves .* on (http:\/\/\S+)/.exec(line);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`serve exited early with ${code}`)));
    });
    gateway.catch(() => undefined);
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, gateway, exit };
  }

  it.each(['SIGTERM', 'SIGINT'] as const)('serves, then exits 0 on %s leaving no engine behind', async (signal) => {
    const { child, gateway, exit } = serve();
    try {
      const url = await gateway;
      const health = await fetch(`${url}/health/services`);
      const body = (await health.json()) as { status: string; services: { model: string; engine: { upstreams: { url: string }[] } }[] };
      expect(body.status).toBe('healthy');
      expect(body.services.map((s) => s.model).sort()).toEqual(['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b']);
      const engines = body.services.map((s) => s.engine.upstreams[0].url);
      child.kill(signal);
      expect(await exit).toBe(0);
      // The simulator children went with it: their ports no longer answer.
      for (const engine of engines) await expect(fetch(`${engine}/health`)).rejects.toThrow();
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
