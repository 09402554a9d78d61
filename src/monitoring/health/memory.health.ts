import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { MonitoredModel } from '../monitored-model';

/**
 * Memory: this process's resident memory against the model's allocation
 * (performance.memory_limit_gb, the unit's MemoryMax). The engine process's own RSS is shown
 * beside it when this server runs the engine.
 */
@Injectable()
export class MemoryHealthIndicator {
  constructor(private readonly health: HealthIndicatorService) {}

  check(model: MonitoredModel) {
    const indicator = this.health.check('memory');
    const rss = process.memoryUsage.rss();
    const limit = model.config.performance.memory_limit_gb * 1024 ** 3;
    const engine = model.getMemoryUsage();
    const details = {
      rss_bytes: rss,
      limit_bytes: limit,
      utilization: Number((rss / limit).toFixed(4)),
      ...(engine.source === 'engine' ? { engine_pid: engine.pid, engine_rss_bytes: engine.rss_bytes } : {}),
    };
    if (rss > limit) return indicator.down({ ...details, message: `resident memory ${formatGb(rss)} is over the allocation of ${formatGb(limit)}` });
    return indicator.up(details);
  }
}

function formatGb(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}
