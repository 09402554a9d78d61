/**
 * vLLM's Prometheus metrics (V1 engine names, as of vLLM 0.11), in a private prom-client registry.
 * Labels are vLLM's: `model_name` (the served name) and `engine` (always "0": one engine core).
 * Bucket bounds follow vLLM's.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const LABELS = ['model_name', 'engine'] as const;
type Labels = Record<(typeof LABELS)[number], string>;

const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0,
  640.0, 2560.0,
];
const ITL_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
];
const REQUEST_LATENCY_BUCKETS = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0,
  7680.0,
];

export type FinishedReason = 'stop' | 'length' | 'abort';

/** What the gauges read at scrape time. */
export interface EngineGaugeSource {
  running(): number;
  waiting(): number;
  /** 0..1 */
  kvCacheUsage(): number;
}

/** Metric children bound to one model's labels (no label lookups on the hot path). */
export interface SimModelMetrics {
  promptTokens(n: number): void;
  generationTokens(n: number): void;
  finished(reason: FinishedReason, count?: number): void;
  timeToFirstToken(seconds: number): void;
  interTokenLatency(seconds: number): void;
  e2eLatency(seconds: number): void;
  queueTime(seconds: number): void;
}

export class SimMetrics {
  readonly registry = new Registry();
  private readonly sources: Array<{ labels: Labels; source: EngineGaugeSource }> = [];
  private readonly promptTokensTotal: Counter<string>;
  private readonly generationTokensTotal: Counter<string>;
  private readonly requestSuccess: Counter<string>;
  private readonly ttft: Histogram<string>;
  private readonly itl: Histogram<string>;
  private readonly e2e: Histogram<string>;
  private readonly queue: Histogram<string>;

  constructor() {
    const registers = [this.registry];
    const sources = this.sources;
    new Gauge({
      name: 'vllm:num_requests_running',
      help: 'Number of requests in model execution batches.',
      labelNames: LABELS,
      registers,
      collect() {
        for (const s of sources) this.set(s.labels, s.source.running());
      },
    });
    new Gauge({
      name: 'vllm:num_requests_waiting',
      help: 'Number of requests waiting to be processed.',
      labelNames: LABELS,
      registers,
      collect() {
        for (const s of sources) this.set(s.labels, s.source.waiting());
      },
    });
    new Gauge({
      name: 'vllm:kv_cache_usage_perc',
      help: 'KV-cache usage. 1 means 100 percent usage.',
      labelNames: LABELS,
      registers,
      collect() {
        for (const s of sources) this.set(s.labels, s.source.kvCacheUsage());
      },
    });
    this.promptTokensTotal = new Counter({
      name: 'vllm:prompt_tokens_total',
      help: 'Number of prefill tokens processed.',
      labelNames: LABELS,
      registers,
    });
    this.generationTokensTotal = new Counter({
      name: 'vllm:generation_tokens_total',
      help: 'Number of generation tokens processed.',
      labelNames: LABELS,
      registers,
    });
    this.requestSuccess = new Counter({
      name: 'vllm:request_success_total',
      help: 'Count of successfully processed requests.',
      labelNames: [...LABELS, 'finished_reason'],
      registers,
    });
    this.ttft = new Histogram({
      name: 'vllm:time_to_first_token_seconds',
      help: 'Histogram of time to first token in seconds.',
      labelNames: LABELS,
      buckets: TTFT_BUCKETS,
      registers,
    });
    this.itl = new Histogram({
      name: 'vllm:inter_token_latency_seconds',
      help: 'Histogram of inter-token latency in seconds.',
      labelNames: LABELS,
      buckets: ITL_BUCKETS,
      registers,
    });
    this.e2e = new Histogram({
      name: 'vllm:e2e_request_latency_seconds',
      help: 'Histogram of e2e request latency in seconds.',
      labelNames: LABELS,
      buckets: REQUEST_LATENCY_BUCKETS,
      registers,
    });
    this.queue = new Histogram({
      name: 'vllm:request_queue_time_seconds',
      help: 'Histogram of time spent in WAITING phase for request.',
      labelNames: LABELS,
      buckets: REQUEST_LATENCY_BUCKETS,
      registers,
    });
  }

  /** Registers a model; its series exist (at zero) from now on. */
  forModel(servedName: string, source: EngineGaugeSource): SimModelMetrics {
    const labels: Labels = { model_name: servedName, engine: '0' };
    this.sources.push({ labels, source });
    const prompt = this.promptTokensTotal.labels(labels);
    const generation = this.generationTokensTotal.labels(labels);
    const success = {
      stop: this.requestSuccess.labels({ ...labels, finished_reason: 'stop' }),
      length: this.requestSuccess.labels({ ...labels, finished_reason: 'length' }),
      abort: this.requestSuccess.labels({ ...labels, finished_reason: 'abort' }),
    };
    prompt.inc(0);
    generation.inc(0);
    for (const c of Object.values(success)) c.inc(0);
    for (const h of [this.ttft, this.itl, this.e2e, this.queue]) h.zero(labels);
    const ttft = this.ttft.labels(labels);
    const itl = this.itl.labels(labels);
    const e2e = this.e2e.labels(labels);
    const queue = this.queue.labels(labels);
    return {
      promptTokens: (n) => prompt.inc(n),
      generationTokens: (n) => generation.inc(n),
      finished: (reason, count = 1) => success[reason].inc(count),
      timeToFirstToken: (s) => ttft.observe(s),
      interTokenLatency: (s) => itl.observe(s),
      e2eLatency: (s) => e2e.observe(s),
      queueTime: (s) => queue.observe(s),
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
