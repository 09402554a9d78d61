import type { EngineGauges } from './engine-gauges';
import { LatencyWindow, RateWindow } from './recent-window';
import { BucketCounts } from './scrape-metric';

/** Seconds; from 5 ms (a cached answer) to 60 s (a long generation). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
export const TTFT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
/** Gaps between streamed chunks: vLLM's inter-token latency is 10-100 ms on an H100. */
export const ITL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5];
/** Share of the context a request used, (prompt + completion tokens) / max_model_len. */
export const CONTEXT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1];

/** How a relayed stream ended (the response streamer's outcomes, counted here). */
export type StreamOutcome = 'completed' | 'client_aborted' | 'upstream_failed' | 'idle_timeout';
export const STREAM_OUTCOMES: readonly StreamOutcome[] = ['completed', 'client_aborted', 'upstream_failed', 'idle_timeout'];

export interface UpstreamView {
  url: string;
  up: boolean;
  /** Its circuit breaker: closed, open or half_open. */
  circuit?: string;
}

/** A stream cap's state (OpenChat's concurrent_users). */
export interface StreamCapView {
  cap: number;
  active: number;
  rejected: number;
}

/** What the efficiency manager reports at scrape time (seed 1.5). */
export interface EfficiencyView {
  efficiencyMode: boolean;
  /** Each optimisation the manager knows and whether it is applied now. */
  optimizations: Readonly<Record<string, boolean>>;
  limitRps: number;
  burst: number;
  maxConcurrency: number;
  queueCapacity: number;
  admittedPerSecond: number;
  inFlight: number;
  queueDepth: number;
  tokensPerSecond: number;
  latencyP50Seconds: number | null;
  latencyP95Seconds: number | null;
  requestsPerSecondPerCore: number;
  tokensPerSecondPerCore: number;
  requestsPerSecondPerGb: number;
  tokensPerSecondPerGb: number;
}

/** Streams of one model: plain numbers, so the relay's per-chunk hook costs a few additions. */
export class StreamState {
  active = 0;
  started = 0;
  readonly ended: Record<StreamOutcome, number> = { completed: 0, client_aborted: 0, upstream_failed: 0, idle_timeout: 0 };
  chunks = 0;
  bytes = 0;
  readonly ttft = new BucketCounts(TTFT_BUCKETS);
  readonly gap = new BucketCounts(ITL_BUCKETS);
}

/**
 * A model's answered requests as plain numbers: `requests_total` by endpoint and status,
 * `request_duration_seconds` by endpoint, and `tokens_total`. Every request adds to them, so
 * they are numbers and BucketCounts (no allocation after an endpoint's first request) rather
 * than prom-client families, whose label objects and label hashing per call were a few
 * percent of the gateway's CPU per request (BENCHMARKS.md); labels are built at scrape time.
 */
export class RequestCounts {
  /** Endpoint → HTTP status → requests answered. */
  readonly answered = new Map<string, Map<number, number>>();
  /** Endpoint → seconds from admission to the end of the answer. */
  readonly duration = new Map<string, BucketCounts>();
  promptTokens = 0;
  completionTokens = 0;

  answer(endpoint: string, status: number): void {
    let byStatus = this.answered.get(endpoint);
    if (!byStatus) this.answered.set(endpoint, (byStatus = new Map()));
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }

  timed(endpoint: string, seconds: number): void {
    let counts = this.duration.get(endpoint);
    if (!counts) this.duration.set(endpoint, (counts = new BucketCounts(DURATION_BUCKETS)));
    counts.observe(seconds);
  }
}

/**
 * Everything the process knows about one model's traffic, shared by every ModelMetrics view of
 * that model (the model's own listener and the gateway use the same one).
 */
export class ModelSeries {
  readonly latency = new LatencyWindow();
  readonly requests = new RateWindow();
  readonly completionTokens = new RateWindow();
  readonly stream = new StreamState();
  readonly counts = new RequestCounts();
  /** `rule|reason` → refusals counted here. */
  readonly throttled = new Map<string, number>();
  /** `rule|reason` → refusals a rule counts itself, read at scrape time. */
  readonly refusals = new Map<string, () => number>();
  /** Requests in progress (`active_requests`), and since when (epoch ms) there has been at least one. */
  inProgress = 0;
  busySince = 0;
  startTimeSeconds = Date.now() / 1000;
  restarts?: () => number;
  loadSeconds?: () => number | undefined;
  targetLatencySeconds?: number;
  memoryLimitBytes?: number;
  /** model.max_model_len: the denominator of the context utilisation histogram. */
  maxModelLen?: number;
  readonly contextUse = new BucketCounts(CONTEXT_BUCKETS);
  engine?: () => UpstreamView[];
  /** CPU seconds the engine process has used (simulated or managed mode). */
  cpuSeconds?: () => number | undefined;
  memory?: () => number | undefined;
  stalled?: () => boolean;
  streamCap?: () => StreamCapView;
  efficiency?: () => EfficiencyView;
  /** Replica URL → vLLM's load gauges at the last collection (monitoring.metrics_collection_interval). */
  engineGauges: ReadonlyMap<string, EngineGauges> = new Map();

  constructor(readonly model: string) {}
}
