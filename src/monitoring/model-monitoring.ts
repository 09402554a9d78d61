import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { efficiencyManagerOf } from '../orchestration/admission-factory';
import { ModelService } from '../services/ai-models/model-service';
import { engineStall } from './engine-stall';
import { processCpuSeconds } from './process-stats';

/**
 * A model listener's monitoring wiring: its targets and start time as series, its engine
 * process's memory, stalls and restarts read at scrape time, and on stop its admission queue emptied.
 */
@Injectable()
export class ModelMonitoring implements OnModuleInit, OnApplicationShutdown {
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

  /** After the listener closed: nothing may be left waiting for admission. */
  onApplicationShutdown(): void {
    efficiencyManagerOf(this.model.admission)?.close();
  }
}
