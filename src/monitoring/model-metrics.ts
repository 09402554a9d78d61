import { MetricsRegistry } from './metrics-registry';

/** Endpoints a request is counted under: a fixed set, never taken from the request. */
export type Endpoint = 'chat_completions' | 'completions' | 'models';

/**
 * One model's view of the request metrics. The `model` label is the configured id, bound
 * here once, never a value from a request.
 */
export class ModelMetrics {
  private readonly families = MetricsRegistry.get();
  private readonly labels: { model: string };

  constructor(readonly model: string) {
    this.labels = { model };
    const f = this.families;
    // Zero-valued series from the start, so rates and absent() work before the first request.
    f.active.set(this.labels, 0);
    f.tokens.inc({ model, type: 'prompt' }, 0);
    f.tokens.inc({ model, type: 'completion' }, 0);
  }

  started(): void {
    this.families.active.inc(this.labels);
  }

  finished(endpoint: Endpoint, status: number, seconds: number): void {
    const f = this.families;
    f.active.dec(this.labels);
    f.requests.inc({ model: this.model, endpoint, status: String(status) });
    f.duration.observe({ model: this.model, endpoint }, seconds);
  }

  firstToken(seconds: number): void {
    this.families.ttft.observe(this.labels, seconds);
  }

  usage(promptTokens: number, completionTokens: number): void {
    this.families.tokens.inc({ model: this.model, type: 'prompt' }, promptTokens);
    this.families.tokens.inc({ model: this.model, type: 'completion' }, completionTokens);
  }

  upstreamError(kind: string): void {
    this.families.upstreamErrors.inc({ model: this.model, kind });
  }

  /** The engine whose replicas `citadel_llm_engine_up` reports for this model. */
  watchEngine(upstreams: () => { url: string; up: boolean }[]): void {
    this.families.engines.set(this.model, upstreams);
  }
}
