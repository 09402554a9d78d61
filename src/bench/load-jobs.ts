/**
 * The jobs the load-generator process runs (src/bench/load-worker.ts) and what each answers.
 * All latencies in milliseconds.
 */

export interface HttpTarget {
  /** e.g. http://127.0.0.1:8000 */
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/**
 * As many requests as `concurrency` users can send back to back, for the duration (after one
 * untimed request per connection).
 */
export interface ClosedJob {
  kind: 'closed';
  target: HttpTarget;
  concurrency: number;
  durationMs: number;
}

/** A fixed arrival rate, whatever the answers do (after a few untimed requests to open connections). */
export interface OpenJob {
  kind: 'open';
  target: HttpTarget;
  rps: number;
  durationMs: number;
  maxInFlight: number;
}

/**
 * `concurrency` streams back to back: time to first token and gaps between content events. Each
 * stream user first sends one untimed request (`warmupBody`, e.g. one token) so that connection
 * setup is not counted.
 */
export interface StreamJob {
  kind: 'stream';
  target: HttpTarget;
  concurrency: number;
  durationMs: number;
  warmupBody?: string;
  /** User i starts i × staggerMs / concurrency after the first, so streams do not start in lockstep. */
  staggerMs?: number;
}

/** Opens `streams` long streams, reports when all are flowing, holds them until told to release. */
export interface IdleJob {
  kind: 'idle';
  target: HttpTarget;
  streams: number;
  openPerSecond: number;
  /** Give up waiting for every stream's first event after this long. */
  settleTimeoutMs: number;
  /** Release on its own after this long holding, if the parent never says so. */
  maxHoldMs: number;
}

export type LoadJob = ClosedJob | OpenJob | StreamJob | IdleJob;

export interface LoadRunInfo {
  /** Wall time of the measurement. */
  elapsedMs: number;
  /** CPU the generator itself used, seconds. */
  generatorCpuSeconds: number;
  generator: 'node' | 'wrk';
}

export interface RequestLoadResult extends LoadRunInfo {
  kind: 'closed' | 'open';
  count: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  /**
   * Every latency (node), or wrk's distribution as 1,001 quantiles (0, 0.1, ..., 100 %): an
   * equal-weight sample of the same distribution.
   */
  latenciesMs: number[];
  /** Open loop: how late requests left (generator lag). */
  lagMs?: number[];
  /** Open loop: due requests not sent because too many were in flight. */
  dropped?: number;
}

export interface StreamLoadResult extends LoadRunInfo {
  kind: 'stream';
  streams: number;
  completed: number;
  errors: number;
  firstErrors: string[];
  ttftMs: number[];
  gapsMs: number[];
  contentEventsPerStream: number[];
}

export interface IdleHolding {
  event: 'holding';
  opened: number;
  flowing: number;
  errors: number;
}

export interface IdleLoadResult extends LoadRunInfo {
  kind: 'idle';
  opened: number;
  /** Streams that had delivered content when holding began. */
  flowing: number;
  errors: number;
  firstErrors: string[];
  /** Content events received while holding, all streams together. */
  eventsWhileHolding: number;
  holdMs: number;
}

export type LoadResult = RequestLoadResult | StreamLoadResult | IdleLoadResult;

/** Messages from the load-generator process to its parent. */
export type WorkerMessage = { event: 'result'; result: LoadResult } | { event: 'error'; message: string } | IdleHolding;
