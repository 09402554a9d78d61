import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { EngineGauges, readEngineGauges } from '../../monitoring/engine-gauges';
import { ModelService } from './model-service';

/**
 * Reads the engine's own /metrics (every replica) once at start and then every
 * `monitoring.metrics_collection_interval` seconds, and keeps vLLM's load gauges for
 * /metrics (`citadel_llm_engine_requests_running`, `..._waiting`, `..._kv_cache_usage_ratio`).
 * A timer, not a read per scrape: Prometheus scraping every listener (model port, metrics port,
 * gateway) would otherwise multiply the calls to the engine.
 */
@Injectable()
export class EngineMetricsCollector implements OnModuleInit, OnModuleDestroy {
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastError?: string;

  constructor(private readonly model: ModelService) {
    this.logger = new Logger(`EngineMetrics:${model.id}`);
  }

  onModuleInit(): void {
    const intervalMs = this.model.config.monitoring.metrics_collection_interval * 1000;
    void this.collect();
    this.timer = setInterval(() => void this.collect(), intervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** One collection; joins one under way (a slow engine never stacks reads). */
  collect(): Promise<void> {
    this.running ??= this.read().finally(() => (this.running = undefined));
    return this.running;
  }

  private async read(): Promise<void> {
    const reads = await this.model.engine.readMetrics();
    const gauges = new Map<string, EngineGauges>();
    const errors: string[] = [];
    for (const r of reads) {
      if (r.text === undefined) {
        errors.push(`${r.url}: ${r.error}`);
        continue;
      }
      try {
        gauges.set(r.url, readEngineGauges(r.text));
      } catch (error) {
        errors.push(`${r.url}: unreadable exposition (${(error as Error).message})`);
      }
    }
    this.model.metrics.engineCollected(gauges);
    // Said once per change, not once per interval.
    const error = errors.join('; ') || undefined;
    if (error && error !== this.lastError) this.logger.warn(`engine /metrics not read: ${error}`);
    this.lastError = error;
  }
}
