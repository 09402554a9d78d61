/**
 * A server process the harness starts and stops (simulator, gateway, nginx): ready when a line
 * of its output says so, stopped with SIGTERM then SIGKILL, killed if the harness itself exits.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

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

export class BenchProcess<T> {
  private child?: ChildProcess;
  private readonly tail: string[] = [];
  private readonly killOnExit = () => this.child?.kill(this.options.exitSignal ?? 'SIGKILL');
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
    const child = spawn(o.command, o.args, { env: o.env ?? process.env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    process.once('exit', this.killOnExit);
    this.exitPromise = new Promise<void>((resolve) =>
      child.once('exit', () => {
        process.off('exit', this.killOnExit);
        resolve();
      }),
    );
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const timeoutMs = o.readyTimeoutMs ?? 20_000;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        child.kill('SIGKILL');
        reject(new Error(`${o.name} was not ready within ${timeoutMs} ms:\n${this.output}`));
      }, timeoutMs);
      const onLine = (line: string) => {
        this.tail.push(line);
        if (this.tail.length > 30) this.tail.shift();
        if (done || !o.ready) return;
        const value = o.ready(line);
        if (value !== undefined) {
          done = true;
          clearTimeout(timer);
          resolve(value);
        }
      };
      createInterface({ input: child.stdout! }).on('line', onLine);
      createInterface({ input: child.stderr! }).on('line', onLine);
      if (!o.ready) {
        child.once('spawn', () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          resolve(undefined as T);
        });
      }
      child.once('error', (error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        reject(new Error(`${o.name} could not start: ${error.message}`));
      });
      child.once('exit', (code, signal) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        reject(new Error(`${o.name} exited (${signal ?? code}) before it was ready:\n${this.output}`));
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
