import { Injectable, OnModuleInit } from '@nestjs/common';
import { engineStall } from '../../monitoring/engine-stall';
import { processCpuSeconds } from '../../monitoring/process-stats';
import { ModelService } from './model-service';

/**
 * A model listener's monitoring wiring: its targets and start time as series, its engine
 * process's memory, stalls and restarts read at scrape time.
 */
@Injectable()
export class ModelMonitoring implements OnModuleInit {
  constructor(private readonly model: ModelService) {}

  onModuleInit(): void {
    const { metrics, config } = this.model;
    metrics.describe({ targetLatencyMs: config.performance.target_latency_ms, memoryLimitGb: config.performance.memory_limit_gb, maxModelLen: config.model.max_model_len });
    metrics.serviceStarted();
    metrics.watchStall(() => engineStall(this.model).stalled);
    metrics.watchRestarts(() => this.model.engineProcess?.restarts() ?? 0);
    metrics.watchLoad(() => this.model.engineProcess?.loadSeconds());
    metrics.watchCpu(() => {
      // Like memory: only an engine process this server runs.
      const pid = this.model.engineProcess?.pid;
      return pid === undefined ? undefined : processCpuSeconds(pid);
    });
    metrics.watchMemory(() => {
      // Only an engine process this server runs (simulated or managed); an external engine is not ours to measure.
      const usage = this.model.getMemoryUsage();
      return usage.source === 'engine' && usage.rss_bytes > 0 ? usage.rss_bytes : undefined;
    });
  }
}
