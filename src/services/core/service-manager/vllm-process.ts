import { ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { ModelServiceConfig } from '../../../config/model-config';
import { pickFreePort } from './free-port';
import { ServiceManagerConfig } from '../../../config/service-manager.config';
import { VllmCommand, VllmCommandBuilder } from './vllm-command-builder';

/** Nest's Logger fits. */
export interface VllmProcessLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface VllmBackoff {
  /** First delay before a restart (default 1 s); doubles with each failure in a row. */
  initialMs: number;
  /** Largest delay (default 30 s). */
  maxMs: number;
  /** A child that stayed up this long starts the doubling over (default 60 s). */
  resetAfterMs: number;
}

export interface VllmProcessOptions {
  /** The model id, for log lines and errors. */
  model: string;
  /** What to run (from VllmCommandBuilder; executable is engine.vllm.executable). */
  command: Pick<VllmCommand, 'executable' | 'args'> & Partial<Pick<VllmCommand, 'redacted' | 'secrets'>>;
  /** The port the engine listens on (127.0.0.1). */
  port: number;
  /** How long the engine may take to answer /health with 200 (engine.vllm.startup_timeout_seconds). */
  startupTimeoutMs: number;
  logger: VllmProcessLogger;
  /** The child's environment (default: this process's, without the service framework's VLLM_* keys). */
  env?: NodeJS.ProcessEnv;
  backoff?: Partial<VllmBackoff>;
  /** Each /health probe's own timeout (default 2 s). */
  probeTimeoutMs?: number;
  /** Pause between probes (default 500 ms). */
  probeIntervalMs?: number;
  /** Grace between SIGTERM and SIGKILL when a start fails or this process is told to end (default 10 s). */
  killGraceMs?: number;
  /** The log prefix's name (default `vllm`: `[vllm:<model>]`). */
  label?: string;
  /**
   * The child's stdin (default 'ignore'). 'pipe' keeps a pipe from this process open for the
   * child's life, so a child that watches it (the simulator's --exit-with-parent) sees this
   * process end, however it ends.
   */
  stdin?: 'ignore' | 'pipe';
  /**
   * Stop the engine on SIGTERM/SIGINT (default true). A server that shuts down gracefully sets
   * false and calls stop() itself once its requests have finished; the kill on exit stays.
   */
  stopOnSignals?: boolean;
}

export interface VllmRestartEvent {
  /** Restarts so far, this one included. */
  restarts: number;
  delayMs: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface VllmExitEvent {
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when stop() asked for it. */
  expected: boolean;
}

export type VllmProcessState = 'idle' | 'starting' | 'ready' | 'restarting' | 'stopping' | 'stopped' | 'failed';

/** start() failed: the engine exited or did not become healthy in time. The child is gone. */
export class VllmStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VllmStartError';
  }
}

const DEFAULT_BACKOFF: VllmBackoff = { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 };
/** Seed variables of the service framework that vLLM would report as unknown VLLM_* settings. */
const FRAMEWORK_KEYS = Object.keys(new ServiceManagerConfig()).filter((k) => k.startsWith('VLLM_'));
const TAIL_LINES = 20;

interface Running {
  child: ChildProcess;
  pid: number | undefined;
  spawnedAt: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive: boolean;
}

/**
 * One managed vLLM engine: spawns `vllm serve ...` (no shell) in its own process group, relays
 * its output to the logger, waits for GET /health to answer 200, restarts it with capped
 * exponential backoff when it dies, and makes sure it never outlives this process.
 */
export class VllmProcess extends EventEmitter {
  readonly url: string;
  private readonly backoff: VllmBackoff;
  private readonly prefix: string;
  private current?: Running;
  private stateValue: VllmProcessState = 'idle';
  private restartCount = 0;
  private failuresInARow = 0;
  private restartTimer?: NodeJS.Timeout;
  private stopPromise?: Promise<void>;
  private lifecycle = new AbortController();
  private readonly tail: string[] = [];

  constructor(private readonly options: VllmProcessOptions) {
    super();
    this.url = `http://127.0.0.1:${options.port}`;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.prefix = `[${options.label ?? 'vllm'}:${options.model}]`;
  }

  /**
   * Builds the command from the model's configuration and takes a free loopback port
   * unless one is given.
   */
  static async forModel(
    model: ModelServiceConfig,
    options: { logger: VllmProcessLogger; port?: number; builder?: VllmCommandBuilder } & Partial<Omit<VllmProcessOptions, 'model' | 'command' | 'port' | 'logger'>>,
  ): Promise<VllmProcess> {
    const { builder, port, ...rest } = options;
    const chosen = port ?? (await pickFreePort());
    const command = (builder ?? new VllmCommandBuilder()).build(model, chosen);
    return new VllmProcess({ startupTimeoutMs: model.engine.vllm.startup_timeout_seconds * 1000, ...rest, model: model.id, command, port: chosen });
  }

  private loadSeconds?: number;

  get state(): VllmProcessState {
    return this.stateValue;
  }

  /** How many times the engine was restarted after dying. */
  get restarts(): number {
    return this.restartCount;
  }

  /** Seconds from spawning the engine to its first passing /health, at its last (re)start. */
  get lastLoadSeconds(): number | undefined {
    return this.loadSeconds;
  }

  /** The running child's pid, if any. */
  get pid(): number | undefined {
    return this.current?.alive ? this.current.pid : undefined;
  }

  override on(event: 'ready', listener: (url: string) => void): this;
  override on(event: 'restart', listener: (event: VllmRestartEvent) => void): this;
  override on(event: 'exit', listener: (event: VllmExitEvent) => void): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.on(event, listener);
  }

  override once(event: 'ready', listener: (url: string) => void): this;
  override once(event: 'restart', listener: (event: VllmRestartEvent) => void): this;
  override once(event: 'exit', listener: (event: VllmExitEvent) => void): this;
  override once(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.once(event, listener);
  }

  /** Spawns the engine and resolves its base URL once /health answers 200. */
  async start(): Promise<string> {
    if (this.stateValue !== 'idle' && this.stateValue !== 'stopped' && this.stateValue !== 'failed') {
      throw new Error(`${this.options.model}: vllm is already ${this.stateValue}`);
    }
    this.lifecycle = new AbortController();
    this.stopPromise = undefined;
    this.failuresInARow = 0;
    this.stateValue = 'starting';
    this.options.logger.log(`${this.prefix} starting: ${this.describe()}`);
    const run = this.spawnChild();
    try {
      await this.waitHealthy(run);
    } catch (error) {
      if (this.stopPromise) {
        throw new VllmStartError(`${this.options.model}: vllm was stopped before it became ready`);
      }
      this.stateValue = 'failed';
      await this.kill(run, this.options.killGraceMs ?? 10_000);
      ChildGuard.forget(this);
      const tail = this.tail.length ? `; last output:\n  ${this.tail.join('\n  ')}` : '';
      throw new VllmStartError(`${this.options.model}: ${(error as Error).message}${tail}`);
    }
    this.stateValue = 'ready';
    this.loadSeconds = (Date.now() - run.spawnedAt) / 1000;
    this.options.logger.log(`${this.prefix} ready at ${this.url}`);
    this.emit('ready', this.url);
    return this.url;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the engine has exited. No more restarts. */
  stop(graceMs = 10_000): Promise<void> {
    if (!this.stopPromise) {
      this.stopPromise = this.doStop(graceMs);
    }
    return this.stopPromise;
  }

  private async doStop(graceMs: number): Promise<void> {
    this.stateValue = 'stopping';
    this.lifecycle.abort();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const run = this.current;
    if (run?.alive) {
      this.options.logger.log(`${this.prefix} stopping (pid ${run.pid})`);
      await this.kill(run, graceMs);
    }
    this.stateValue = 'stopped';
    ChildGuard.forget(this);
  }

  /** Kills the child's process group at once (used when this process exits). */
  killNow(): void {
    const run = this.current;
    if (run?.alive) signalGroup(run, 'SIGKILL');
  }

  private describe(): string {
    const c = this.options.command;
    return c.redacted ? c.redacted() : [c.executable, ...c.args].join(' ');
  }

  private spawnChild(): Running {
    const { command } = this.options;
    this.tail.length = 0;
    // Its own process group, so that stopping it also stops the workers vLLM forks, and so that a
    // Ctrl-C in the terminal reaches the server only: it drains its requests, then stops vLLM.
    const env = this.options.env ?? childEnv(process.env);
    const [file, ...argv] = withParentDeathSignal([command.executable, ...command.args], env.PATH);
    const child = spawn(file, argv, {
      env,
      stdio: [this.options.stdin ?? 'ignore', 'pipe', 'pipe'],
      detached: true,
    });
    // Held open, never written: the child reads its end only to see this process go.
    child.stdin?.on('error', () => undefined);
    let resolveExit!: (value: { code: number | null; signal: NodeJS.Signals | null }) => void;
    const run: Running = { child, pid: child.pid, spawnedAt: Date.now(), alive: true, exited: new Promise((r) => (resolveExit = r)) };
    this.current = run;
    ChildGuard.track(this, this.options.stopOnSignals ?? true);

    const secrets = command.secrets?.() ?? [];
    const relay = (stream: NodeJS.ReadableStream | null, level: 'log' | 'warn') => {
      if (!stream) return;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (raw) => {
        const line = secrets.reduce((text, s) => (s ? text.split(s).join('***') : text), raw);
        this.tail.push(line);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
        this.options.logger[level](`${this.prefix} ${line}`);
      });
    };
    relay(child.stdout, 'log');
    relay(child.stderr, 'warn');

    let settled = false;
    const onGone = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      run.alive = false;
      resolveExit({ code, signal });
      this.onChildExit(run, code, signal);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      // spawn failed (ENOENT, EACCES): there will be no 'exit'.
      if (child.pid === undefined) {
        this.tail.push(`cannot run ${command.executable}: ${error.code ?? error.message}`);
        onGone(null, null);
      } else {
        this.options.logger.error(`${this.prefix} ${error.message}`);
      }
    });
    child.once('exit', (code, signal) => onGone(code, signal));
    return run;
  }

  private onChildExit(run: Running, code: number | null, signal: NodeJS.Signals | null): void {
    const expected = this.stateValue === 'stopping' || this.stateValue === 'stopped';
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (expected) this.options.logger.log(`${this.prefix} exited (${how})`);
    else this.options.logger.warn(`${this.prefix} exited unexpectedly (${how})`);
    this.emit('exit', { pid: run.pid, code, signal, expected } satisfies VllmExitEvent);
    // During start() the caller hears about it; after stop() nothing restarts.
    if (expected || this.stateValue === 'starting' || this.stateValue === 'failed') return;
    this.scheduleRestart(run, code, signal);
  }

  private scheduleRestart(run: Running, code: number | null, signal: NodeJS.Signals | null): void {
    if (Date.now() - run.spawnedAt >= this.backoff.resetAfterMs) this.failuresInARow = 0;
    const delayMs = Math.min(this.backoff.initialMs * 2 ** this.failuresInARow, this.backoff.maxMs);
    this.failuresInARow++;
    this.restartCount++;
    this.stateValue = 'restarting';
    this.options.logger.warn(`${this.prefix} restart ${this.restartCount} in ${delayMs} ms`);
    this.emit('restart', { restarts: this.restartCount, delayMs, code, signal } satisfies VllmRestartEvent);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.respawn();
    }, delayMs);
  }

  private async respawn(): Promise<void> {
    if (this.stateValue !== 'restarting') return;
    const run = this.spawnChild();
    try {
      await this.waitHealthy(run);
    } catch (error) {
      if (this.lifecycle.signal.aborted) return;
      if (run.alive) {
        // Alive but not healthy in time: kill it; its exit schedules the next restart.
        this.options.logger.warn(`${this.prefix} ${(error as Error).message}; killing pid ${run.pid}`);
        await this.kill(run, this.options.killGraceMs ?? 10_000);
      }
      return;
    }
    if (this.stateValue !== 'restarting' || this.current !== run) return;
    this.stateValue = 'ready';
    this.loadSeconds = (Date.now() - run.spawnedAt) / 1000;
    this.options.logger.log(`${this.prefix} ready again at ${this.url}`);
    this.emit('ready', this.url);
  }

  /** Polls GET /health until 200; fails when the child exits, the deadline passes or stop() is called. */
  private async waitHealthy(run: Running): Promise<void> {
    const timeoutMs = this.options.startupTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const probeTimeout = this.options.probeTimeoutMs ?? 2000;
    const interval = this.options.probeIntervalMs ?? 500;
    const stopped = this.lifecycle.signal;
    const exited = run.exited.then(({ code, signal }) => {
      throw new Error(`vllm exited before it became ready (${signal ? `signal ${signal}` : `code ${code}`})`);
    });
    exited.catch(() => undefined);
    let last = 'no answer yet';
    while (true) {
      if (stopped.aborted) throw new Error('stopped');
      if (!run.alive) await exited;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`vllm did not answer GET ${this.url}/health with 200 within ${formatSeconds(timeoutMs)} (last: ${last})`);
      }
      const probe = this.probe(AbortSignal.any([stopped, AbortSignal.timeout(Math.min(probeTimeout, left))]));
      const outcome = await Promise.race([probe, exited]);
      if (outcome === 200) return;
      last = typeof outcome === 'number' ? `HTTP ${outcome}` : outcome;
      await Promise.race([sleep(Math.min(interval, Math.max(0, deadline - Date.now())), undefined, { signal: stopped }).catch(() => undefined), exited]);
    }
  }

  /** One GET /health: the status code, or why there was none. */
  private async probe(signal: AbortSignal): Promise<number | string> {
    try {
      const res = await request(`${this.url}/health`, { method: 'GET', signal, reset: true });
      await res.body.dump();
      return res.statusCode;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code ?? (error as Error).name;
    }
  }

  private async kill(run: Running, graceMs: number): Promise<void> {
    if (!run.alive) return;
    signalGroup(run, 'SIGTERM');
    const timer = setTimeout(() => {
      if (run.alive) {
        this.options.logger.warn(`${this.prefix} still running ${formatSeconds(graceMs)} after SIGTERM; sending SIGKILL`);
        signalGroup(run, 'SIGKILL');
      }
    }, graceMs);
    await run.exited;
    clearTimeout(timer);
  }
}

/** This process's environment for the engine: unbuffered output, without the framework's VLLM_* keys. */
export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, PYTHONUNBUFFERED: '1' };
  for (const key of FRAMEWORK_KEYS) delete out[key];
  return out;
}

function signalGroup(run: Running, signal: NodeJS.Signals): void {
  if (run.pid === undefined) return;
  try {
    process.kill(-run.pid, signal);
  } catch {
    try {
      run.child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * Keeps engines from outliving this process. While any engine runs: on 'exit' every engine's
 * process group gets SIGKILL (synchronously, the only thing 'exit' allows); on SIGTERM/SIGINT the
 * engines are stopped and, when nothing else handles the signal, it is raised again so the process
 * ends as it would have. A SIGKILL of this process cannot be caught: under systemd, KillMode=
 * cleans the unit's cgroup; elsewhere the engine's group outlives it.
 */
/**
 * In its own process group vLLM would outlive a server killed with SIGKILL (the exit handler
 * below runs only when Node exits normally). setpriv (util-linux) sets the kernel's parent-death
 * signal and then execs vLLM in its own place (same pid): vLLM gets SIGTERM when the server dies,
 * however it dies. Without setpriv, or when the executable is not found (so that spawn reports
 * ENOENT itself), the command runs as it is.
 */
export function withParentDeathSignal(command: readonly string[], path = process.env.PATH): string[] {
  const setpriv = findExecutable('setpriv', path);
  if (!setpriv || !findExecutable(command[0], path)) return [...command];
  return [setpriv, '--pdeathsig', 'SIGTERM', '--', ...command];
}

function findExecutable(name: string, path = ''): string | undefined {
  const candidates = name.includes('/') ? [name] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

class ChildGuard {
  private static readonly live = new Set<VllmProcess>();
  private static installed = false;
  private static readonly onExit = () => {
    for (const p of ChildGuard.live) p.killNow();
  };
  /** Engines whose owner leaves signals to us. */
  private static readonly stopOnSignal = new Set<VllmProcess>();
  private static readonly onSignal = (signal: NodeJS.Signals) => {
    const all = [...ChildGuard.live].filter((p) => ChildGuard.stopOnSignal.has(p));
    // Engines whose owner handles signals are not ours to stop, nor is the signal ours to re-raise.
    if (all.length === 0) return;
    void Promise.allSettled(all.map((p) => p.stop(5000))).then(() => {
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };

  static track(p: VllmProcess, stopOnSignals: boolean): void {
    this.live.add(p);
    if (stopOnSignals) this.stopOnSignal.add(p);
    if (this.installed) return;
    this.installed = true;
    process.once('exit', this.onExit);
    process.once('SIGTERM', this.onSignal);
    process.once('SIGINT', this.onSignal);
  }

  static forget(p: VllmProcess): void {
    this.live.delete(p);
    this.stopOnSignal.delete(p);
    if (this.live.size > 0 || !this.installed) return;
    this.installed = false;
    process.removeListener('exit', this.onExit);
    process.removeListener('SIGTERM', this.onSignal);
    process.removeListener('SIGINT', this.onSignal);
  }
}
