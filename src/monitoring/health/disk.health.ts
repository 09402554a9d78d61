import { statfs } from 'node:fs/promises';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ModelServiceConfig } from '../../config/model-config';

/** Below this share of free space under the model path, the disk check fails. */
export const MIN_FREE_DISK_FRACTION = 0.05;

/**
 * Disk (managed mode, where this server launches vLLM from model.path): free space on the file
 * system that holds the model files (vLLM writes its compile caches and logs beside them).
 */
@Injectable()
export class DiskHealthIndicator {
  constructor(private readonly health: HealthIndicatorService) {}

  /** Only managed engines read the model from this machine's disk. */
  applies(config: ModelServiceConfig): boolean {
    return config.engine.mode === 'managed';
  }

  async check(config: ModelServiceConfig, minFreeFraction = MIN_FREE_DISK_FRACTION) {
    const indicator = this.health.check('disk');
    const path = config.model.path;
    let stats;
    try {
      stats = await statfs(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      return indicator.down({ path, message: code === 'ENOENT' ? `the model path ${path} does not exist` : `cannot read the file system of ${path}: ${code}` });
    }
    const total = stats.blocks * stats.bsize;
    const free = stats.bavail * stats.bsize;
    const details = { path, free_bytes: free, total_bytes: total, free_fraction: total > 0 ? Number((free / total).toFixed(4)) : 0, min_free_fraction: minFreeFraction };
    if (total === 0 || free / total < minFreeFraction) {
      return indicator.down({ ...details, message: `only ${(100 * details.free_fraction).toFixed(1)}% free under ${path} (at least ${100 * minFreeFraction}% needed)` });
    }
    return indicator.up(details);
  }
}
