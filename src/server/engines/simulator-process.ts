import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { pickFreePort } from '../../services/core/service-manager/free-port';
import { childEnv, VllmBackoff, VllmProcess, VllmStartError } from '../../services/core/service-manager/vllm-process';

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
  /** Restart delays (default: managed vLLM's, 1 s doubling to 30 s). */
  backoff?: Partial<VllmBackoff>;
}

/** Ports tried at start: another process may take a free port before the simulator binds it. */
const START_ATTEMPTS = 3;

/**
 * The built-in simulator as a child process on a free loopback port (engine mode `simulated`):
 * a real HTTP upstream, as vLLM would be, in its own event loop. It stands in for vLLM, so it is
 * supervised as a managed vLLM is (VllmProcess: ready on GET /health, restarted on the same port
 * with capped exponential backoff when it dies, counted in `restarts`, stopped with the server).
 */
export class SimulatorProcess {
  private process?: VllmProcess;
  private readonly logger: Logger;
  url?: string;

  constructor(private readonly options: SimulatorProcessOptions) {
    this.logger = new Logger(`Simulator:${options.model}`);
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Seconds from spawn to a passing /health, at its last (re)start. */
  get lastLoadSeconds(): number | undefined {
    return this.process?.lastLoadSeconds;
  }

  /** How many times the simulator was restarted after dying. */
  get restarts(): number {
    return this.process?.restarts ?? 0;
  }

  /** `ready` again after a restart (the first start is start()'s own answer). */
  on(event: 'ready', listener: (url: string) => void): this {
    this.process?.on(event, listener);
    return this;
  }

  /** Starts the child and resolves its base URL once it answers GET /health. */
  async start(): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const port = await pickFreePort();
      const supervisor = this.supervisor(port);
      this.process = supervisor;
      try {
        this.url = await supervisor.start();
        return this.url;
      } catch (error) {
        if (!(error instanceof VllmStartError) || attempt >= START_ATTEMPTS) throw error;
        this.logger.warn(`the simulator did not start on port ${port}; trying another port`);
      }
    }
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves when the child is gone. No more restarts. */
  async stop(graceMs = 5_000): Promise<void> {
    await this.process?.stop(graceMs);
  }

  private supervisor(port: number): VllmProcess {
    const args = [cliEntry(), 'sim', '--model', this.options.model, '--port', String(port), '--host', '127.0.0.1', '--exit-with-parent', ...(this.options.args ?? [])];
    return new VllmProcess({
      model: this.options.model,
      label: 'sim',
      command: { executable: process.execPath, args },
      port,
      startupTimeoutMs: this.options.readyTimeoutMs ?? 30_000,
      // Its own process group (VllmProcess): a Ctrl-C in the terminal reaches the server, which
      // drains its requests and then stops the simulator, not the simulator first. It also exits
      // when its stdin (this process's end of the pipe) closes, so it never outlives the server
      // (see EXIT_WITH_PARENT in src/cli/sim-command.ts).
      stdin: 'pipe',
      env: { ...childEnv(process.env), CITADEL_CONFIG_DIR: this.options.configDir },
      // The simulator starts in about a second: probe it often.
      probeIntervalMs: 100,
      killGraceMs: 5_000,
      backoff: this.options.backoff,
      // This server stops it itself, after its requests have finished.
      stopOnSignals: false,
      logger: {
        // Its own output and routine start lines are detail; exits and restarts are warnings.
        log: (message) => this.logger.debug(message),
        warn: (message) => this.logger.warn(message),
        error: (message) => this.logger.error(message),
      },
    });
  }
}
