import { ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadCitadelConfig } from '../../src/config/config-loader';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { INSTANT_PROFILE } from '../../src/simulator/profiles';
import { startSimulator } from '../../src/simulator/sim-server';
import { RunningSimulator } from '../../src/simulator/types';
import { freePortsEnv, REPO, startCitadel } from '../support/start-citadel';

const model = { id: 'phi-3-mini', servedName: 'microsoft/Phi-3-mini-4k-instruct', maxModelLen: 2048, maxNumSeqs: 32, profile: INSTANT_PROFILE };

describe('reloading the configuration in place', () => {
  let a: RunningSimulator;
  let b: RunningSimulator;
  let server: ServiceOrchestrator;
  const env = (urls: string, extra: Record<string, string> = {}) => ({ ...freePortsEnv(['phi-3-mini']), PHI_3_MINI_ENGINE_MODE: 'external', PHI_3_MINI_ENGINE_URLS: urls, PHI_3_MINI_EFFICIENCY_MODE: 'false', ...extra });

  beforeAll(async () => {
    a = await startSimulator({ models: [model], instant: true }, { port: 0, host: '127.0.0.1' });
    b = await startSimulator({ models: [model], instant: true }, { port: 0, host: '127.0.0.1' });
    server = await startCitadel({ only: ['phi-3-mini'], env: env(a.url) });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    await a?.close();
    await b?.close();
  });

  const complete = (headers: Record<string, string> = {}) =>
    fetch(`${server.models[0].url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ prompt: 'hi', max_tokens: 2 }) });

  it('moves to new engine URLs, takes new API keys and limits, and names what needs a restart', async () => {
    expect((await complete()).status).toBe(200);
    const next = loadCitadelConfig({ cwd: tmpdir(), configDir: join(REPO, 'config'), only: ['phi-3-mini'], env: env(b.url, { CITADEL_API_KEYS: 'new-key', PHI_3_MINI_MAX_CONCURRENT_REQUESTS: '5', PHI_3_MINI_MODEL_NAME: 'renamed/model' }) });
    const { applied, needsRestart } = server.reload(next);
    expect(applied).toContain('phi-3-mini');
    expect(needsRestart).toEqual(['phi-3-mini: model.name microsoft/Phi-3-mini-4k-instruct → renamed/model']);
    expect(server.models[0].service.config.service.max_concurrent_requests).toBe(5);

    expect((await complete()).status).toBe(401);
    const before = b.stats().completed;
    expect((await complete({ authorization: 'Bearer new-key' })).status).toBe(200);
    expect(b.stats().completed).toBe(before + 1);
    expect(server.models[0].service.engine.upstreams().map((u) => u.url)).toEqual([b.url]);
  });
});

describe('SIGHUP to citadel-llm serve', () => {
  let child: ChildProcess | undefined;
  let dir: string;

  afterAll(() => {
    child?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('applies a valid new config and refuses an invalid one, serving throughout', async () => {
    dir = mkdtempSync(join(tmpdir(), 'citadel-reload-'));
    cpSync(join(REPO, 'config'), dir, { recursive: true });
    child = spawn(process.execPath, [join(REPO, 'dist', 'main.js'), 'serve', 'phi-3-mini', '--host', '127.0.0.1', '--config-dir', dir], {
      env: { ...process.env, ...freePortsEnv(['phi-3-mini']), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
    const onLine = (line: string) => {
      lines.push(line);
      for (const w of [...waiters]) {
        const m = w.re.exec(line);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    const next = (re: RegExp) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const seen = lines.map((l) => re.exec(l)).find(Boolean);
        if (seen) return resolve(seen);
        waiters.push({ re, resolve });
        setTimeout(() => reject(new Error(`no line matching ${re}: ${lines.slice(-5).join(' | ')}`)), 20_000);
      });

    const url = (await next(/phi-3-mini serves on (http:\/\/\S+)/))[1];
    const file = join(dir, 'services', 'phi-3-mini.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('max_throughput_rps: 100', 'max_throughput_rps: 50'));
    child.kill('SIGHUP');
    await next(/SIGHUP: configuration reloaded/);

    writeFileSync(file, readFileSync(file, 'utf8').replace('max_num_seqs: 32', 'max_num_seqs: -3'));
    child.kill('SIGHUP');
    const refused = await next(/SIGHUP: configuration refused, the running one stays: (.*)/);
    expect(refused[1]).toMatch(/invalid configuration/);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);

    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child!.once('exit', resolve));
    expect(code).toBe(0);
  }, 40_000);
});
