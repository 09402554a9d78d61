import type { Readable } from 'node:stream';

/** One HTTP exchange with an engine. */
export interface EngineCall {
  method: 'GET' | 'POST';
  path: string;
  body?: Buffer | string;
  /** Aborts the upstream request in every phase (connecting, waiting, streaming). */
  signal: AbortSignal;
  /** A streaming call: its headers come with the first token, so the first-token timeout applies. */
  stream?: boolean;
  /** Sent as `X-Request-Id` (vLLM takes it as its request id and echoes it back). */
  requestId?: string;
  /**
   * The replica (its URL, as EngineReply.upstream names it) that must answer: it holds state the
   * others lack (a stored response). Used while it is up, with no retry elsewhere; when it is
   * down or gone, the call goes where any call would.
   */
  replica?: string;
}

export interface EngineReply {
  status: number;
  contentType: string;
  /** The response body as it arrives; consuming or destroying it releases the replica. */
  body: Readable;
  upstream: string;
  /** The engine's headers that reach the client (RELAYED_HEADERS), lower-case names. */
  headers: Record<string, string>;
  /** The reader calls this on every chunk it takes, so stalls can be told from slow answers. */
  progress: () => void;
}

export interface UpstreamState {
  url: string;
  up: boolean;
  /** The replica's circuit breaker: closed (normal), open (no traffic), half_open (one trial). */
  circuit: 'closed' | 'open' | 'half_open';
  /** Failure events its breaker counted in a row (one crash with many calls in flight is one). */
  failures?: number;
  /** Why its last call or probe failed (kept after it recovers, unlike lastError). */
  lastFailure?: string;
  inFlight: number;
  lastError?: string;
  /** When the state last changed (ISO time). */
  since: string;
  /** What its own /health said at the last probe, when it says something (a model service does). */
  reported?: ReportedHealth;
}

/** A model service's /health, as the gateway's probe read it. */
export interface ReportedHealth {
  status: string;
  failed_check?: string;
  reason?: string;
  degraded?: string;
  timestamp?: string;
}

/**
 * The only code that talks to vLLM. Bound as an abstract-class token so tests and users can
 * provide another implementation (`overrideProvider(VllmEngine)`).
 */
export abstract class VllmEngine {
  /** Sends a call to the best replica; rejects with EngineFailure when no answer could be had. */
  abstract call(call: EngineCall): Promise<EngineReply>;
  /** The replicas and their state. */
  abstract upstreams(): UpstreamState[];
  /** Probes every replica's /health now; resolves true when at least one is up. */
  abstract probe(): Promise<boolean>;
  /** Requests in flight and the last time any of them received a byte (for stall detection). */
  abstract activity(): { inFlight: number; lastProgressAt: number };
  abstract close(): Promise<void>;

  /**
   * Takes new replica URLs and settings from a reloaded config, keeping requests in flight.
   * Engines that cannot change live keep their settings (the default).
   */
  reconfigure(_settings: EngineSettings): void {}

  /**
   * Every replica's own Prometheus text (vLLM's GET /metrics), read now. An engine with no
   * metrics endpoint reports none (the default).
   */
  readMetrics(): Promise<EngineMetricsText[]> {
    return Promise.resolve([]);
  }
}

/** One replica's /metrics: its text, or why it could not be read. */
export interface EngineMetricsText {
  url: string;
  text?: string;
  error?: string;
}

/** What a config reload may change in an engine. */
export interface EngineSettings {
  urls: string[];
  timeouts: { connectMs: number; firstByteMs: number; firstTokenMs: number; idleMs: number };
  retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number; budgetRatio: number };
  breaker: { failureThreshold: number; openMs: number };
}
