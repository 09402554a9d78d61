import { Pool } from 'undici';
import { UpstreamState } from './vllm-engine';

export interface ReplicaTimeouts {
  connectMs: number;
  firstByteMs: number;
  idleMs: number;
}

/** One vLLM server: a keep-alive connection pool and what we know of its health. */
export class Replica {
  readonly pool: Pool;
  inFlight = 0;
  up = true;
  lastError?: string;
  since = new Date().toISOString();

  constructor(
    readonly url: string,
    timeouts: ReplicaTimeouts,
    connections: number,
  ) {
    this.pool = new Pool(url, {
      connections,
      connect: { timeout: timeouts.connectMs },
      headersTimeout: timeouts.firstByteMs,
      bodyTimeout: timeouts.idleMs,
      // Below vLLM's (uvicorn's) 5 s keep-alive, so we never reuse a socket the server is closing.
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 4_000,
      pipelining: 1,
    });
  }

  markUp(): void {
    if (!this.up) {
      this.up = true;
      this.lastError = undefined;
      this.since = new Date().toISOString();
    }
  }

  markDown(reason: string): void {
    this.lastError = reason;
    if (this.up) {
      this.up = false;
      this.since = new Date().toISOString();
    }
  }

  state(): UpstreamState {
    return { url: this.url, up: this.up, inFlight: this.inFlight, lastError: this.lastError, since: this.since };
  }
}
