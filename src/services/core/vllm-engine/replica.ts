import { Pool, buildConnector } from 'undici';
import { CircuitBreaker, CircuitBreakerOptions } from './circuit-breaker';
import { ReportedHealth, UpstreamState } from './vllm-engine';

export interface ReplicaTimeouts {
  connectMs: number;
  firstByteMs: number;
  idleMs: number;
  /** Streams: from the request until the first event (vLLM sends headers before it). */
  firstTokenMs?: number;
}

/** One vLLM server: a keep-alive connection pool and what we know of its health. */
export class Replica {
  readonly pool: Pool;
  inFlight = 0;
  up = true;
  lastError?: string;
  since = new Date().toISOString();
  /** When a call or probe to it last failed (ms since the epoch; 0: never), and why. */
  lastFailedAt = 0;
  lastFailure?: string;
  readonly breaker: CircuitBreaker;
  /** What its /health said at the last probe, when it says something. */
  reported?: ReportedHealth;
  /** Until when (ms since the epoch) it is passed over after pushing back with 429/503. */
  private pressedUntil = 0;

  constructor(
    readonly url: string,
    timeouts: ReplicaTimeouts,
    connections: number,
    breaker: CircuitBreakerOptions,
    /** Opens sockets to the engine (tests wrap undici's own to inject socket errors). */
    connector?: buildConnector.connector,
  ) {
    this.breaker = new CircuitBreaker(breaker);
    this.pool = new Pool(url, {
      connections,
      connect: connector ?? { timeout: timeouts.connectMs },
      headersTimeout: timeouts.firstByteMs,
      // The relay times streams itself (first token, then idle): the pool must never cut first.
      bodyTimeout: Math.max(timeouts.idleMs, timeouts.firstTokenMs ?? 0),
      // Below vLLM's (uvicorn's) 5 s keep-alive, so we never reuse a socket the server is closing.
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 4_000,
      pipelining: 1,
    });
  }

  /** Takes traffic: health probes pass and the circuit lets calls through. */
  get available(): boolean {
    return this.up && this.breaker.canPass();
  }

  /** A call or probe failed because of the engine (never for a local error of ours). */
  failed(reason: string): void {
    this.lastFailedAt = Date.now();
    this.lastFailure = reason;
  }

  /** It answered 429/503: other replicas get calls first for `ms`; its health and circuit stay. */
  pressed(ms: number): void {
    this.pressedUntil = Date.now() + ms;
  }

  pressedNow(): boolean {
    return this.pressedUntil > Date.now();
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
    return { url: this.url, up: this.up, circuit: this.breaker.state, failures: this.breaker.failureCount, lastFailure: this.lastFailure, inFlight: this.inFlight, lastError: this.lastError, since: this.since, ...(this.reported ? { reported: this.reported } : {}) };
  }
}
