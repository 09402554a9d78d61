import type { EngineGauges } from './engine-gauges';
import { MetricsRegistry } from './metrics-registry';
import { EfficiencyView, ModelSeries, StreamCapView, StreamOutcome, UpstreamView } from './model-series';

/** Endpoints a request is counted under: a fixed set, never taken from the request. */
export type Endpoint = 'chat_completions' | 'completions' | 'models' | 'responses' | 'embeddings' | 'tokenize' | 'detokenize';

/**
 * One model's view of the metrics: the hot path's only metrics API. The `model` label is the
 * configured id, bound here once, never a value from a request. Several views of one model
 * (its module, its admission rules) share the same series.
 */
export class ModelMetrics {
  private readonly families = MetricsRegistry.get();
  /** This model's plain-number state (requests, streams, windows, sources read at scrape time). */
  readonly series: ModelSeries;

  constructor(readonly model: string) {
    this.series = this.families.series(model);
  }

  started(): void {
    if (this.series.inProgress++ === 0) this.series.busySince = Date.now();
  }

  /**
   * @param adapter a LoRA adapter's name from the model's config (never a request's raw value),
   *   when the request named one
   */
  finished(endpoint: Endpoint, status: number, seconds: number, adapter?: string): void {
    if (adapter !== undefined) this.families.adapterRequests.inc({ model: this.model, adapter, endpoint, status: String(status) });
    this.series.inProgress--;
    this.series.counts.answer(endpoint, status);
    this.series.counts.timed(endpoint, seconds);
    if (status < 300) {
      this.series.latency.record(seconds);
      this.series.requests.add();
    }
  }

  /** A request answered before it reached the engine (refused at admission): counted, not timed. */
  refused(endpoint: Endpoint, status: number, adapter?: string): void {
    this.series.counts.answer(endpoint, status);
    if (adapter !== undefined) this.families.adapterRequests.inc({ model: this.model, adapter, endpoint, status: String(status) });
  }

  firstToken(seconds: number): void {
    this.series.stream.ttft.observe(seconds);
  }

  usage(promptTokens: number, completionTokens: number, adapter?: string): void {
    if (adapter !== undefined) {
      this.families.adapterTokens.inc({ model: this.model, adapter, type: 'prompt' }, promptTokens);
      this.families.adapterTokens.inc({ model: this.model, adapter, type: 'completion' }, completionTokens);
    }
    this.series.counts.promptTokens += promptTokens;
    this.series.counts.completionTokens += completionTokens;
    this.series.completionTokens.add(completionTokens);
    if (this.series.maxModelLen) this.series.contextUse.observe((promptTokens + completionTokens) / this.series.maxModelLen);
  }

  upstreamError(kind: string): void {
    this.families.upstreamErrors.inc({ model: this.model, kind });
  }

  // --- streams (the relay's hooks) ---

  streamStarted(): void {
    const s = this.series.stream;
    s.started++;
    s.active++;
  }

  /** One write of `events` SSE events (`bytes` long), `gapSeconds` after the previous one. */
  chunk(bytes: number, events: number, gapSeconds: number): void {
    const s = this.series.stream;
    s.chunks += events;
    s.bytes += bytes;
    if (gapSeconds >= 0) s.gap.observe(gapSeconds);
  }

  streamEnded(outcome: StreamOutcome): void {
    const s = this.series.stream;
    s.active--;
    s.ended[outcome]++;
  }

  // --- admission ---

  /** A request refused with 429 by an admission rule. `rule` and `reason` come from code, not requests. */
  throttled(rule: string, reason: string): void {
    const key = `${rule}|${reason}`;
    this.series.throttled.set(key, (this.series.throttled.get(key) ?? 0) + 1);
  }

  // --- sources read at scrape time ---

  /** The engine whose replicas `citadel_llm_engine_up` reports for this model. */
  watchEngine(upstreams: () => UpstreamView[]): void {
    this.series.engine = upstreams;
  }

  /** Resident bytes of the engine process, when this server runs it. */
  watchMemory(rssBytes: () => number | undefined): void {
    this.series.memory = rssBytes;
  }

  /** Whether the engine is stalled (requests in flight, no byte for stall_timeout_seconds). */
  watchStall(stalled: () => boolean): void {
    this.series.stalled = stalled;
  }

  /** Refusals an admission rule counts itself (`rule` and `reason` from code). */
  watchRefusals(rule: string, reason: string, count: () => number): void {
    this.series.refusals.set(`${rule}|${reason}`, count);
  }

  watchStreamCap(cap: () => StreamCapView): void {
    this.series.streamCap = cap;
  }

  watchEfficiency(view: () => EfficiencyView): void {
    this.series.efficiency = view;
  }

  /** The model's targets from its config, exported beside its series. */
  describe(targets: { targetLatencyMs: number; memoryLimitGb: number; maxModelLen?: number }): void {
    this.series.targetLatencySeconds = targets.targetLatencyMs / 1000;
    this.series.memoryLimitBytes = targets.memoryLimitGb * 1024 ** 3;
    this.series.maxModelLen = targets.maxModelLen;
  }

  /** The model service (its listener) started now. */
  serviceStarted(): void {
    this.series.startTimeSeconds = Date.now() / 1000;
  }

  /** Seconds the engine process took from spawn to ready at its last (re)start. */
  watchLoad(loadSeconds: () => number | undefined): void {
    this.series.loadSeconds = loadSeconds;
  }

  /** CPU seconds (user + system) of the engine process, when this server runs it. */
  watchCpu(cpuSeconds: () => number | undefined): void {
    this.series.cpuSeconds = cpuSeconds;
  }

  /** How often this server restarted the model's engine after it died (managed mode). */
  watchRestarts(restarts: () => number): void {
    this.series.restarts = restarts;
  }

  /**
   * The engine's own gauges as last collected, per replica; a replica missing here (its read
   * failed, or it left the config) has no samples rather than stale ones.
   */
  engineCollected(gauges: ReadonlyMap<string, EngineGauges>): void {
    this.series.engineGauges = gauges;
  }

  // --- recent behaviour, for health and efficiency reports ---

  /** Observed latency of successful requests over the last 5 minutes (seconds). */
  latency(): { p50: number | null; p95: number | null; samples: number } {
    return this.series.latency.quantiles();
  }

  /** Successful requests and completion tokens per second over the last 10 s. */
  rates(): { requestsPerSecond: number; tokensPerSecond: number } {
    return { requestsPerSecond: this.series.requests.perSecond(), tokensPerSecond: this.series.completionTokens.perSecond() };
  }
}
