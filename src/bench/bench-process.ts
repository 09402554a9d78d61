/**
 * A server process the harness starts and stops (simulator, gateway, nginx), run by execa: ready
 * when a line of its output says so, stopped with SIGTERM then SIGKILL, killed if the harness
 * itself exits (execa's cleanup).
 */
import { execa, type ResultPromise } from 'execa';

export interface BenchProcessOptions<T> {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Reads each output line (stdout and stderr); a value means ready. Without it: ready once spawned. */
  ready?: (line: string) => T | undefined;
  readyTimeoutMs?: number;
  /** Sent if the harness exits with the process still running (default SIGKILL; nginx: SIGTERM, so that its master stops its workers). */
  exitSignal?: NodeJS.Signals;
}

type Subprocess = ResultPromise<{ stdin: 'ignore'; all: true; buffer: false; reject: false; forceKillAfterDelay: false }>;

export class BenchProcess<T> {
  private child?: Subprocess;
  private readonly tail: string[] = [];
  private exitPromise?: Promise<void>;

  constructor(private readonly options: BenchProcessOptions<T>) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get name(): string {
    return this.options.name;
  }

  /** The last lines it wrote, for error messages. */
  get output(): string {
    return this.tail.join('\n');
  }

  /** False once the process has exited. */
  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): Promise<T> {
    const o = this.options;
    const child: Subprocess = execa(o.command, o.args, {
      env: o.env ?? process.env,
      extendEnv: false,
      cwd: o.cwd,
      stdin: 'ignore',
      all: true,
      buffer: false,
      reject: false,
      // execa kills the process with this signal if the harness exits first.
      cleanup: true,
      killSignal: o.exitSignal ?? 'SIGKILL',
      // stop() gives its own grace period before SIGKILL.
      forceKillAfterDelay: false,
    });
    this.child = child;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const settle = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        fn();
      };
      const timeoutMs = o.readyTimeoutMs ?? 20_000;
      const timer = setTimeout(() => {
        settle(() => reject(new Error(`${o.name} was not ready within ${timeoutMs} ms:\n${this.output}`)));
        child.kill('SIGKILL');
      }, timeoutMs);
      const onLine = (line: string) => {
        this.tail.push(line);
        if (this.tail.length > 30) this.tail.shift();
        if (done || !o.ready) return;
        const value = o.ready(line);
        if (value !== undefined) settle(() => resolve(value));
      };
      // Read every line to the end, ready or not: a full pipe would stall the process.
      void (async () => {
        for await (const line of child.iterable({ from: 'all' })) onLine(line);
      })().catch(() => undefined);
      if (!o.ready) child.once('spawn', () => settle(() => resolve(undefined as T)));
      this.exitPromise = child.then((result) => {
        if (result.failed && result.exitCode === undefined && result.signal === undefined) {
          settle(() => reject(new Error(`${o.name} could not start: ${result.originalMessage ?? result.shortMessage}`)));
        } else {
          settle(() => reject(new Error(`${o.name} exited (${result.signal ?? result.exitCode}) before it was ready:\n${this.output}`)));
        }
      });
    });
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || !this.exitPromise) return;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await this.exitPromise;
      clearTimeout(timer);
    }
    await this.exitPromise;
  }
}
