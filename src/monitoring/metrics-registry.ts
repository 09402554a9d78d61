import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's one Prometheus registry: every `citadel_llm_*` family once, with the `model`
 * label telling models apart, and Node's default process metrics. Created on first use.
 */
export class MetricsRegistry {
  private static shared?: MetricsRegistry;

  static get(): MetricsRegistry {
    return (this.shared ??= new MetricsRegistry());
  }

  readonly registry = new Registry();
  readonly requests: Counter<'model' | 'endpoint' | 'status'>;
  readonly duration: Histogram<'model' | 'endpoint'>;
  readonly ttft: Histogram<'model'>;
  readonly active: Gauge<'model'>;
  readonly tokens: Counter<'model' | 'type'>;
  readonly upstreamErrors: Counter<'model' | 'kind'>;
  readonly engineUp: Gauge<'model' | 'upstream'>;
  /** Per model, the replicas `engineUp` reports at scrape time. */
  readonly engines = new Map<string, () => { url: string; up: boolean }[]>();

  private constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({ name: 'citadel_llm_requests_total', help: 'Requests answered, by endpoint and HTTP status.', labelNames: ['model', 'endpoint', 'status'], registers });
    this.duration = new Histogram({
      name: 'citadel_llm_request_duration_seconds',
      help: 'Time from request to the end of the answer.',
      labelNames: ['model', 'endpoint'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    });
    this.ttft = new Histogram({
      name: 'citadel_llm_time_to_first_token_seconds',
      help: 'Time from request to the first streamed event.',
      labelNames: ['model'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    this.active = new Gauge({ name: 'citadel_llm_active_requests', help: 'Requests in progress.', labelNames: ['model'], registers });
    this.tokens = new Counter({ name: 'citadel_llm_tokens_total', help: 'Tokens processed, from the engine usage reports.', labelNames: ['model', 'type'], registers });
    this.upstreamErrors = new Counter({ name: 'citadel_llm_upstream_errors_total', help: 'Failed calls to the engine, by kind.', labelNames: ['model', 'kind'], registers });
    const engines = this.engines;
    this.engineUp = new Gauge({
      name: 'citadel_llm_engine_up',
      help: '1 when the engine replica is up (answers its health check and connections).',
      labelNames: ['model', 'upstream'],
      registers,
      // Read at scrape time: no timer, always the engines' current view.
      collect() {
        for (const [model, upstreams] of engines) for (const u of upstreams()) this.set({ model, upstream: u.url }, u.up ? 1 : 0);
      },
    });
  }

  /** The exposition text: everything, or one model's series plus the process's. */
  async text(onlyModel?: string): Promise<string> {
    const text = await this.registry.metrics();
    if (!onlyModel) return text;
    const mine = `model="${onlyModel}"`;
    return text
      .split('\n')
      .filter((line) => line.startsWith('#') || !line.startsWith('citadel_llm_') || line.includes(mine))
      .join('\n');
  }
}
