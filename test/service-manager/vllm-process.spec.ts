import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { pickFreePort } from '../../src/services/core/service-manager/free-port';
import { VllmCommandBuilder } from '../../src/services/core/service-manager/vllm-command-builder';
import { childEnv, VllmExitEvent, VllmProcess, VllmRestartEvent, VllmStartError } from '../../src/services/core/service-manager/vllm-process';
import { FAKE_VLLM, isAlive, loadModel, REPO, removeTempDirs, tempDir, TINY_MODEL } from './helpers';

jest.setTimeout(60_000);

class MemoryLogger {
  readonly lines: string[] = [];
  log(message: string) {
    this.lines.push(`log ${message}`);
  }
  warn(message: string) {
    this.lines.push(`warn ${message}`);
  }
  error(message: string) {
    this.lines.push(`error ${message}`);
  }
}

const started: VllmProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop(2000)));
});
afterAll(removeTempDirs);

/** A managed mixtral whose engine is the fake vllm serving the tiny model. */
async function engine(options: { env?: Record<string, string>; startupTimeoutMs?: number; backoff?: { initialMs?: number; maxMs?: number; resetAfterMs?: number }; apiKey?: string } = {}) {
  const model = loadModel('mixtral-8x7b', { MIXTRAL_8X7B_ENGINE_MODE: 'managed', MIXTRAL_8X7B_MODEL_PATH: TINY_MODEL });
  model.engine.vllm.executable = FAKE_VLLM;
  if (options.apiKey) model.engine.vllm.api_key_file = '/run/secrets/vllm-key';
  const logger = new MemoryLogger();
  const p = await VllmProcess.forModel(model, {
    logger,
    builder: new VllmCommandBuilder({ readSecret: () => options.apiKey ?? '' }),
    env: childEnv({ ...process.env, ...options.env }),
    startupTimeoutMs: options.startupTimeoutMs ?? 30_000,
    backoff: options.backoff,
    probeIntervalMs: 100,
  });
  started.push(p);
  return { p, logger, model };
}

function waitFor<T>(p: VllmProcess, event: 'restart' | 'exit' | 'ready', count: number): Promise<T[]> {
  const seen: T[] = [];
  return new Promise((resolve) => {
    const listener = (value: T) => {
      seen.push(value);
      if (seen.length === count) {
        p.removeListener(event, listener);
        resolve(seen);
      }
    };
    p.on(event as 'ready', listener as unknown as (url: string) => void);
  });
}

describe('VllmProcess with the stand-in vllm', () => {
  it('starts, answers on the URL it resolves, relays output with the model prefix, and stops', async () => {
    const { p, logger, model } = await engine();
    const url = await p.start();
    expect(url).toBe(p.url);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(p.state).toBe('ready');

    const health = await request(`${url}/health`);
    await health.body.dump();
    expect(health.statusCode).toBe(200);
    const models = (await (await request(`${url}/v1/models`)).body.json()) as { data: { id: string; max_model_len: number }[] };
    expect(models.data[0].id).toBe(model.model.name);
    expect(models.data[0].max_model_len).toBe(model.model.max_model_len);
    expect(logger.lines.some((l) => l.startsWith('log [vllm:mixtral-8x7b] ') && l.includes('Starting vLLM API server'))).toBe(true);

    const pid = p.pid!;
    expect(isAlive(pid)).toBe(true);
    await p.stop();
    expect(p.state).toBe('stopped');
    expect(() => process.kill(pid, 0)).toThrow();
    expect(p.restarts).toBe(0);
  });

  it('never logs the API key, neither its own command line nor the engine output', async () => {
    const { p, logger } = await engine({ apiKey: 'sk-fixture-secret' });
    await p.start();
    const models = await request(`${p.url}/v1/models`, { headers: { authorization: 'Bearer sk-fixture-secret' } });
    await models.body.dump();
    expect(models.statusCode).toBe(200);
    await p.stop();
    expect(logger.lines.join('\n')).not.toContain('sk-fixture-secret');
    expect(logger.lines.some((l) => l.includes('--api-key ***'))).toBe(true);
    expect(logger.lines.some((l) => l.includes('"api_key":"***"'))).toBe(true);
  });

  it('rejects with a clear error and kills the child when /health does not answer in time', async () => {
    const { p } = await engine({ env: { FAKE_VLLM_STARTUP_DELAY_MS: '60000' }, startupTimeoutMs: 1500 });
    const exits: VllmExitEvent[] = [];
    p.on('exit', (e) => exits.push(e));
    const attempt = p.start();
    await expect(attempt).rejects.toThrow(VllmStartError);
    await expect(attempt).rejects.toThrow(/mixtral-8x7b: vllm did not answer GET http:\/\/127\.0\.0\.1:\d+\/health with 200 within 1500 ms \(last: ECONNREFUSED\)/);
    expect(p.state).toBe('failed');
    expect(exits).toHaveLength(1);
    expect(() => process.kill(exits[0].pid!, 0)).toThrow();
    expect(p.restarts).toBe(0);
  });

  it('rejects at once, with the engine output, when vllm exits during start', async () => {
    const port = await pickFreePort();
    const p = new VllmProcess({
      model: 'bad-flags',
      command: { executable: FAKE_VLLM, args: ['serve', TINY_MODEL, '--port', String(port), '--no-such-flag'] },
      port,
      startupTimeoutMs: 30_000,
      logger: new MemoryLogger(),
    });
    started.push(p);
    await expect(p.start()).rejects.toThrow(/bad-flags: vllm exited before it became ready \(code 2\); last output:[\s\S]*unrecognized arguments: --no-such-flag/);
  });

  it('reports an executable that cannot run', async () => {
    const port = await pickFreePort();
    const p = new VllmProcess({ model: 'missing', command: { executable: '/nonexistent/vllm', args: ['serve', 'x'] }, port, startupTimeoutMs: 5000, logger: new MemoryLogger() });
    started.push(p);
    await expect(p.start()).rejects.toThrow(/cannot run \/nonexistent\/vllm: ENOENT/);
  });

  it('restarts a crashed engine with doubling delays and counts the restarts', async () => {
    const { p } = await engine({ env: { FAKE_VLLM_EXIT_AFTER_MS: '1200' }, backoff: { initialMs: 100, maxMs: 250 } });
    const restarts = waitFor<VllmRestartEvent>(p, 'restart', 3);
    const readyAgain = waitFor<string>(p, 'ready', 2);
    await p.start();
    const events = await restarts;
    expect(events.map((e) => e.delayMs)).toEqual([100, 200, 250]);
    expect(events.map((e) => e.restarts)).toEqual([1, 2, 3]);
    expect(events[0].code).toBe(1);
    expect(p.restarts).toBeGreaterThanOrEqual(3);
    await readyAgain;
  });

  it('starts the doubling over after the engine stayed up long enough', async () => {
    const { p } = await engine({ env: { FAKE_VLLM_EXIT_AFTER_MS: '1000' }, backoff: { initialMs: 100, maxMs: 30_000, resetAfterMs: 500 } });
    const restarts = waitFor<VllmRestartEvent>(p, 'restart', 2);
    await p.start();
    expect((await restarts).map((e) => e.delayMs)).toEqual([100, 100]);
  });

  it('stop() cancels a restart that is waiting', async () => {
    const { p } = await engine({ env: { FAKE_VLLM_EXIT_AFTER_MS: '800' }, backoff: { initialMs: 20_000 } });
    const restart = waitFor<VllmRestartEvent>(p, 'restart', 1);
    await p.start();
    expect((await restart)[0].delayMs).toBe(20_000);
    expect(p.state).toBe('restarting');
    await p.stop();
    expect(p.state).toBe('stopped');
    expect(p.pid).toBeUndefined();
  });

  it('kills an engine that ignores SIGTERM after the grace period', async () => {
    const { p, logger } = await engine({ env: { FAKE_VLLM_IGNORE_SIGTERM: '1' } });
    await p.start();
    const pid = p.pid!;
    await p.stop(500);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(logger.lines.some((l) => l.includes('sending SIGKILL'))).toBe(true);
    expect(p.restarts).toBe(0);
  });

  it("keeps the service framework's VLLM_* settings out of the engine's environment", async () => {
    const argvFile = join(tempDir(), 'argv.json');
    const { p } = await engine({ env: { VLLM_LOG_PATH: '/var/log/citadel-llm', VLLM_PID_PATH: '/run/x', VLLM_WORKER_MULTIPROC_METHOD: 'spawn', FAKE_VLLM_ARGV_FILE: argvFile } });
    await p.start();
    const seen = JSON.parse(readFileSync(argvFile, 'utf8')) as { argv: string[]; vllmEnv: Record<string, string> };
    expect(seen.vllmEnv).toEqual({ VLLM_WORKER_MULTIPROC_METHOD: 'spawn' });
    expect(seen.argv.slice(0, 2)).toEqual(['serve', TINY_MODEL]);
  });
});

/** The orphan checks run the compiled VllmProcess in a separate parent process. */
const compiled = join(REPO, 'dist', 'services', 'core', 'service-manager', 'vllm-process.js');
const source = join(REPO, 'src', 'services', 'core', 'service-manager', 'vllm-process.ts');
const fresh = existsSync(compiled) && statSync(compiled).mtimeMs >= statSync(source).mtimeMs;
if (!fresh) console.warn('dist/ has no current build of vllm-process (npm run build): the orphan tests are skipped');
const maybe = fresh ? describe : describe.skip;

function startParent(mode: 'exit' | 'wait'): { parent: ChildProcess; enginePid: Promise<number> } {
  const parent = spawn(process.execPath, [join(__dirname, 'fixtures', 'vllm-parent.js'), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const enginePid = new Promise<number>((resolve, reject) => {
    let text = '';
    parent.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split('\n')[0];
      if (text.includes('\n')) resolve(Number(line));
    });
    parent.once('exit', (code) => reject(new Error(`parent exited (${code}) before its engine was ready`)));
  });
  return { parent, enginePid };
}

const exited = (child: ChildProcess) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !isAlive(pid);
}

maybe('VllmProcess leaves no orphan', () => {
  it('the engine dies when its parent calls process.exit', async () => {
    const { parent, enginePid } = startParent('exit');
    const done = exited(parent);
    const pid = await enginePid;
    expect((await done).code).toBe(0);
    expect(await gone(pid)).toBe(true);
  });

  it('SIGTERM to the parent stops the engine, then the parent ends by that signal', async () => {
    const { parent, enginePid } = startParent('wait');
    const done = exited(parent);
    const pid = await enginePid;
    expect(isAlive(pid)).toBe(true);
    parent.kill('SIGTERM');
    expect((await done).signal).toBe('SIGTERM');
    expect(await gone(pid)).toBe(true);
  });

  // Its own process group keeps the terminal's Ctrl-C away from it; setpriv's parent-death
  // signal makes it follow a parent that could not clean up.
  (spawnSync('setpriv', ['--version']).status === 0 ? it : it.skip)('SIGKILL to the parent: the engine gets SIGTERM from the kernel and ends', async () => {
    const { parent, enginePid } = startParent('wait');
    const done = exited(parent);
    const pid = await enginePid;
    expect(isAlive(pid)).toBe(true);
    expect(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[2]).toBe(String(pid)); // its own process group
    parent.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    expect(await gone(pid)).toBe(true);
  });

  it('SIGINT as well', async () => {
    const { parent, enginePid } = startParent('wait');
    const done = exited(parent);
    const pid = await enginePid;
    parent.kill('SIGINT');
    expect((await done).signal).toBe('SIGINT');
    expect(await gone(pid)).toBe(true);
  });
});
