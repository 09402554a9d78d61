import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { EngineGauges } from './engine-gauges';
import { EfficiencyView, ModelSeries, STREAM_OUTCOMES } from './model-series';
import { Sample, ScrapeMetric } from './scrape-metric';

const P = 'citadel_llm_';

/** A replica's circuit breaker states, as `citadel_llm_engine_circuit_state` names them. */
const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;

/** The families /metrics/streaming shows (seed 1.4). */
export const STREAMING_FAMILIES = [
  `${P}streams_active`,
  `${P}streams_started_total`,
  `${P}streams_ended_total`,
  `${P}time_to_first_token_seconds`,
  `${P}inter_token_latency_seconds`,
  `${P}stream_chunks_total`,
  `${P}stream_bytes_total`,
  `${P}stream_cap`,
  `${P}throttled_total`,
] as const;

/** Efficiency gauges: family suffix, help, and how to read it from the manager's view. */
const EFFICIENCY_GAUGES: ReadonlyArray<[suffix: string, help: string, read: (v: EfficiencyView) => number | null]> = [
  ['mode', '1 when efficiency_mode is on (the throttle applies).', (v) => (v.efficiencyMode ? 1 : 0)],
  ['rate_limit_requests_per_second', 'The token bucket rate: efficiency.max_throughput_rps.', (v) => v.limitRps],
  ['burst', 'Requests the token bucket admits at once after a quiet period.', (v) => v.burst],
  ['max_concurrency', 'Requests at the engine at once at most: model.max_num_seqs.', (v) => v.maxConcurrency],
  ['queue_capacity', 'Requests that may wait for admission: efficiency.queue_size.', (v) => v.queueCapacity],
  ['admitted_requests_per_second', 'Requests admitted per second over the last 10 s.', (v) => v.admittedPerSecond],
  ['in_flight_requests', 'Admitted requests not yet finished.', (v) => v.inFlight],
  ['queue_depth', 'Requests waiting for admission now.', (v) => v.queueDepth],
  ['tokens_per_second', 'Completion tokens per second over the last 10 s.', (v) => v.tokensPerSecond],
  ['latency_p50_seconds', 'Observed median request latency (last 5 min, successful requests).', (v) => v.latencyP50Seconds],
  ['latency_p95_seconds', 'Observed 95th percentile request latency (last 5 min, successful requests).', (v) => v.latencyP95Seconds],
  ['requests_per_second_per_core', 'Throughput per CPU core of the allocation (performance.cpu_cores).', (v) => v.requestsPerSecondPerCore],
  ['tokens_per_second_per_core', 'Completion tokens per second per CPU core of the allocation.', (v) => v.tokensPerSecondPerCore],
  ['requests_per_second_per_gigabyte', 'Throughput per GB of the allocation (performance.memory_limit_gb).', (v) => v.requestsPerSecondPerGb],
  ['tokens_per_second_per_gigabyte', 'Completion tokens per second per GB of the allocation.', (v) => v.tokensPerSecondPerGb],
];

/** The families /metrics/efficiency shows (seed 1.5). */
export const EFFICIENCY_FAMILIES = [
  ...EFFICIENCY_GAUGES.map(([suffix]) => `${P}efficiency_${suffix}`),
  `${P}efficiency_optimization_active`,
  `${P}target_latency_seconds`,
  `${P}throttled_total`,
] as const;

/**
 * The process's one Prometheus registry: every `citadel_llm_*` family once, with the `model`
 * label telling models apart, and Node's default process metrics. Created on first use.
 *
 * The `model` label only ever holds a configured model id: series are created by ModelMetrics
 * (bound to its model at boot) and by the per-model state below, never from request input.
 * Families updated per streamed chunk are ScrapeMetrics over plain numbers, so the relay does
 * not allocate per chunk.
 */
export class MetricsRegistry {
  private static shared?: MetricsRegistry;

  static get(): MetricsRegistry {
    return (this.shared ??= new MetricsRegistry());
  }

  readonly registry = new Registry();
  readonly upstreamErrors: Counter<'model' | 'kind'>;
  readonly adapterRequests: Counter<'model' | 'adapter' | 'endpoint' | 'status'>;
  readonly adapterTokens: Counter<'model' | 'adapter' | 'type'>;
  readonly localResourceErrors: Counter<'model' | 'code'>;
  private clientConnections?: () => { open: number; limit: number; refused: number };
  /** Starts of this service, counted across restarts in its state directory (service-starts.ts). */
  private serviceStarts?: number;
  private readonly models = new Map<string, ModelSeries>();

  private constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters fail `promtool check metrics`; their per-type twins (without _total) stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    this.upstreamErrors = new Counter({ name: `${P}upstream_errors_total`, help: 'Failed calls to the engine, by kind.', labelNames: ['model', 'kind'], registers });
    // LoRA adapters' share of the two above: `adapter` only ever holds a name from a model's
    // `model.lora_modules` (ModelService.adapterNamed), so the series stay bounded by the config.
    this.adapterRequests = new Counter({ name: `${P}adapter_requests_total`, help: 'Requests that named a configured LoRA adapter, by endpoint and HTTP status (also counted in requests_total under the base model).', labelNames: ['model', 'adapter', 'endpoint', 'status'], registers });
    this.adapterTokens = new Counter({ name: `${P}adapter_tokens_total`, help: 'Tokens of requests that named a configured LoRA adapter (also counted in tokens_total under the base model).', labelNames: ['model', 'adapter', 'type'], registers });
    // `code` is one of a fixed set of errno names (LOCAL_RESOURCE_ERRORS), never request input.
    this.localResourceErrors = new Counter({
      name: `${P}local_resource_errors_total`,
      help: 'Calls to an engine that failed in this process for lack of a resource (EMFILE, ENFILE, ENOBUFS, ...), by error code; never counted against the engine.',
      labelNames: ['model', 'code'],
      registers,
    });

    const perModel = (name: string, help: string, type: 'counter' | 'gauge' | 'histogram', read: (s: ModelSeries) => Sample[]) =>
      new ScrapeMetric(name, help, type, () => [...this.models.values()].flatMap(read)).register(this.registry);
    const value = (s: ModelSeries, v: number | null | undefined, labels: Record<string, string> = {}): Sample[] =>
      typeof v === 'number' && Number.isFinite(v) ? [{ labels: { model: s.model, ...labels }, value: v }] : [];

    // Counted on every request: plain numbers (RequestCounts), labelled here at scrape time.
    // active_requests and tokens_total have a sample from the start, so rates and absent() work
    // before the first request.
    perModel(`${P}requests_total`, 'Requests answered, by endpoint and HTTP status (499: the client left).', 'counter', (s) =>
      [...s.counts.answered].flatMap(([endpoint, byStatus]) => [...byStatus].map(([status, n]) => ({ labels: { model: s.model, endpoint, status: String(status) }, value: n }))),
    );
    perModel(`${P}request_duration_seconds`, 'Time from admission to the end of the answer.', 'histogram', (s) =>
      [...s.counts.duration].flatMap(([endpoint, counts]) => counts.samples(`${P}request_duration_seconds`, { model: s.model, endpoint })),
    );
    perModel(`${P}active_requests`, 'Requests in progress (admitted, not yet answered).', 'gauge', (s) => value(s, s.inProgress));
    perModel(`${P}tokens_total`, 'Tokens processed, from the engine usage reports (streams included).', 'counter', (s) => [
      ...value(s, s.counts.promptTokens, { type: 'prompt' }),
      ...value(s, s.counts.completionTokens, { type: 'completion' }),
    ]);

    const connections = (help: string, type: 'counter' | 'gauge', pick: (c: { open: number; limit: number; refused: number }) => number) => (name: string) =>
      new ScrapeMetric(name, help, type, () => {
        const c = this.clientConnections?.();
        return c && Number.isFinite(pick(c)) ? [{ labels: {}, value: pick(c) }] : [];
      }).register(this.registry);
    connections('Client connections held now, all listeners of this process together.', 'gauge', (c) => c.open)(`${P}client_connections`);
    connections('The cap on client connections (max_client_connections, or the descriptor limit less a reserve for engine sockets).', 'gauge', (c) => c.limit)(`${P}client_connections_limit`);
    connections('Client connections refused with 503 at the cap.', 'counter', (c) => c.refused)(`${P}client_connections_refused_total`);

    perModel(`${P}time_to_first_token_seconds`, 'Time from admission to the first streamed event.', 'histogram', (s) => s.stream.ttft.samples(`${P}time_to_first_token_seconds`, { model: s.model }));
    perModel(`${P}inter_token_latency_seconds`, 'Gap between consecutive chunks of a streamed answer, as relayed.', 'histogram', (s) => s.stream.gap.samples(`${P}inter_token_latency_seconds`, { model: s.model }));
    perModel(`${P}engine_up`, '1 when the engine replica is up (answers its health check and connections).', 'gauge', (s) =>
      (s.engine?.() ?? []).map((u) => ({ labels: { model: s.model, upstream: u.url }, value: u.up ? 1 : 0 })),
    );
    perModel(`${P}engine_circuit_state`, "1 for the state each engine replica's circuit breaker is in (closed, open, half_open), 0 for the others.", 'gauge', (s) =>
      (s.engine?.() ?? []).flatMap((u) => CIRCUIT_STATES.map((state) => ({ labels: { model: s.model, upstream: u.url, state }, value: u.circuit === state ? 1 : 0 }))),
    );
    // vLLM's own load gauges, read from each replica's /metrics every monitoring.metrics_collection_interval.
    const engineGauge = (name: string, help: string, pick: (g: EngineGauges) => number | undefined) =>
      perModel(`${P}${name}`, help, 'gauge', (s) =>
        [...s.engineGauges].flatMap(([upstream, g]) => {
          const v = pick(g);
          return v === undefined ? [] : [{ labels: { model: s.model, upstream }, value: v }];
        }),
      );
    engineGauge('engine_requests_running', "Requests the engine replica is running (vLLM's vllm:num_requests_running), as last collected.", (g) => g.running);
    engineGauge('engine_requests_waiting', "Requests waiting in the engine replica's queue (vllm:num_requests_waiting), as last collected.", (g) => g.waiting);
    engineGauge('engine_kv_cache_usage_ratio', "Share of the engine replica's KV cache in use, 0..1 (vllm:kv_cache_usage_perc), as last collected.", (g) => g.kvCacheUsage);
    perModel(`${P}engine_stalled`, '1 when requests are in flight and the engine sent no byte for monitoring.stall_timeout_seconds.', 'gauge', (s) => value(s, s.stalled ? (s.stalled() ? 1 : 0) : undefined));
    perModel(`${P}model_memory_usage_bytes`, "Resident memory of the model's engine process (simulated or managed mode).", 'gauge', (s) => value(s, s.memory?.()));
    perModel(`${P}model_load_seconds`, 'Seconds the engine took from spawn to its first passing health check, at its last start or restart (simulated or managed mode).', 'gauge', (s) => value(s, s.loadSeconds?.()));
    perModel(`${P}model_cpu_seconds_total`, "CPU time (user + system) of the model's engine process (simulated or managed mode); resets when the engine restarts.", 'counter', (s) => value(s, s.cpuSeconds?.()));
    perModel(`${P}context_utilization_ratio`, "Share of the model's context a request used: (prompt + completion tokens) / model.max_model_len, from the engine's usage.", 'histogram', (s) =>
      s.maxModelLen ? s.contextUse.samples(`${P}context_utilization_ratio`, { model: s.model }) : [],
    );
    perModel(`${P}model_memory_limit_bytes`, "The model's memory allocation (performance.memory_limit_gb).", 'gauge', (s) => value(s, s.memoryLimitBytes));
    perModel(`${P}target_latency_seconds`, "The model's latency target (performance.target_latency_ms).", 'gauge', (s) => value(s, s.targetLatencySeconds));
    perModel(`${P}service_start_time_seconds`, 'When the model service started (Unix time).', 'gauge', (s) => value(s, s.startTimeSeconds));
    // Every model this process serves shares the count: under systemd one unit runs one model.
    new ScrapeMetric(`${P}service_starts_total`, "Starts of the model service's own process (the unit itself: crash restarts, systemctl restart, reboots), counted across restarts in its systemd StateDirectory.", 'counter', () =>
      this.serviceStarts === undefined ? [] : this.modelIds.map((model) => ({ labels: { model }, value: this.serviceStarts! })),
    ).register(this.registry);
    perModel(`${P}service_restarts_total`, 'Times this server restarted the model engine after it died (simulated or managed mode).', 'counter', (s) => value(s, s.restarts?.() ?? 0));
    perModel(`${P}throttled_total`, 'Requests refused by admission (429), by rule and reason.', 'counter', (s) => {
      const out: Sample[] = [];
      const add = (key: string, n: number) => {
        const [rule, reason] = key.split('|');
        out.push({ labels: { model: s.model, rule, reason }, value: n });
      };
      for (const [key, n] of s.throttled) add(key, n);
      for (const [key, read] of s.refusals) add(key, read());
      return out;
    });

    perModel(`${P}streams_active`, 'Streams being relayed now.', 'gauge', (s) => value(s, s.stream.active));
    perModel(`${P}streams_started_total`, 'Streams started.', 'counter', (s) => value(s, s.stream.started));
    perModel(`${P}streams_ended_total`, 'Streams ended, by outcome: completed, client_aborted, upstream_failed, idle_timeout.', 'counter', (s) =>
      STREAM_OUTCOMES.map((outcome) => ({ labels: { model: s.model, outcome }, value: s.stream.ended[outcome] })),
    );
    perModel(`${P}stream_chunks_total`, 'SSE events relayed to clients.', 'counter', (s) => value(s, s.stream.chunks));
    perModel(`${P}stream_bytes_total`, 'Bytes of SSE events relayed to clients.', 'counter', (s) => value(s, s.stream.bytes));
    perModel(`${P}stream_cap`, 'Concurrent streams allowed (realtime.concurrent_users).', 'gauge', (s) => value(s, s.streamCap?.().cap));

    for (const [suffix, help, read] of EFFICIENCY_GAUGES) {
      perModel(`${P}efficiency_${suffix}`, help, 'gauge', (s) => {
        const view = s.efficiency?.();
        return view ? value(s, read(view)) : [];
      });
    }
    perModel(`${P}efficiency_optimization_active`, '1 for each efficiency optimisation applied now.', 'gauge', (s) =>
      Object.entries(s.efficiency?.().optimizations ?? {}).map(([optimization, on]) => ({ labels: { model: s.model, optimization }, value: on ? 1 : 0 })),
    );
  }

  /**
   * The process's client-connection budget (all listeners together), read at scrape time:
   * connections held, the cap, and connections refused at the cap.
   */
  watchClientConnections(read: () => { open: number; limit: number; refused: number }): void {
    this.clientConnections = read;
  }

  /** This process's start count (service-starts.ts); without one the family has no samples. */
  setServiceStarts(starts: number): void {
    this.serviceStarts = starts;
  }

  /** The state of one configured model (created on first use). */
  series(model: string): ModelSeries {
    let series = this.models.get(model);
    if (!series) this.models.set(model, (series = new ModelSeries(model)));
    return series;
  }

  /** The models with series in this process. */
  get modelIds(): string[] {
    return [...this.models.keys()];
  }

  /**
   * The exposition text: every family, or only `families`; for one model, its own series (and,
   * without a family list, the process's Node metrics).
   */
  async text(options: { model?: string; families?: readonly string[] } | string = {}): Promise<string> {
    const { model, families } = typeof options === 'string' ? { model: options, families: undefined } : options;
    const text = families ? (await Promise.all(families.map((f) => this.registry.getSingleMetricAsString(f)))).join('\n') + '\n' : await this.registry.metrics();
    if (!model) return text;
    const mine = `model="${model}"`;
    // Process-wide series (no model label, like the client-connection budget) stay, as Node's do.
    return text
      .split('\n')
      .filter((line) => line.startsWith('#') || !line.startsWith(P) || line.includes(mine) || !line.includes('model="'))
      .join('\n');
  }
}
