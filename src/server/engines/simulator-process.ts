import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Logger } from '@nestjs/common';

/** The compiled CLI; from sources (tests) it is the build in dist/. */
export function cliEntry(): string {
  const compiled = resolve(__dirname, '..', '..', 'main.js');
  return existsSync(compiled) ? compiled : resolve(__dirname, '..', '..', '..', 'dist', 'main.js');
}

export interface SimulatorProcessOptions {
  model: string;
  configDir: string;
  /** Extra `citadel-llm sim` flags (profile, speed, faults). */
  args?: string[];
  readyTimeoutMs?: number;
}

/**
 * The built-in simulator as a child process on a free loopback port (engine mode `simulated`):
 * a real HTTP upstream, as vLLM would be, in its own event loop.
 */
export class SimulatorProcess {
  private child?: ChildProcess;
  private readonly logger: Logger;
  private readonly killOnExit = () => this.child?.kill('SIGKILL');
  url?: string;
  /** Seconds from spawn to its ready line. */
  loadSeconds?: number;

  constructor(private readonly options: SimulatorProcessOptions) {
    this.logger = new Logger(`Simulator:${options.model}`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the child and resolves its base URL once it listens. */
  start(): Promise<string> {
    const args = [cliEntry(), 'sim', '--model', this.options.model, '--port', '0', '--host', '127.0.0.1', ...(this.options.args ?? [])];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, CITADEL_CONFIG_DIR: this.options.configDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const spawnedAt = Date.now();
    // Never leave an orphan: if this process exits, the simulator goes with it.
    process.once('exit', this.killOnExit);
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr.push(line);
      if (stderr.length > 20) stderr.shift();
      this.logger.warn(line);
    });
    return new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the simulator for ${this.options.model} did not start within ${this.options.readyTimeoutMs ?? 15_000} ms`));
      }, this.options.readyTimeoutMs ?? 15_000);
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        try {
          const event = JSON.parse(line) as { event?: string; url?: string };
          if (event.event === 'ready' && event.url) {
            clearTimeout(timer);
            this.loadSeconds = (Date.now() - spawnedAt) / 1000;
            this.url = event.url;
            resolveUrl(event.url);
          }
        } catch {
          this.logger.log(line);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        process.off('exit', this.killOnExit);
        if (!this.url) reject(new Error(`the simulator for ${this.options.model} exited (${signal ?? code}) before it was ready: ${stderr.join(' | ')}`));
        else if (!this.stopping) this.logger.error(`the simulator exited unexpectedly (${signal ?? code})`);
      });
    });
  }

  private stopping = false;

  /** SIGTERM, then SIGKILL after the grace period; resolves when the child is gone. */
  async stop(graceMs = 5_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.stopping = true;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
