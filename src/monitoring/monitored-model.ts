import { ModelServiceConfig } from '../config/model-config';
import { ModelMetrics } from './model-metrics';

/** A replica as health reports it. */
export interface MonitoredUpstream {
  url: string;
  up: boolean;
  lastError?: string;
  /** Its circuit breaker: closed, open or half_open (an open one makes the model degraded). */
  circuit?: string;
  /** Why its last call or probe failed. */
  lastFailure?: string;
}

/**
 * What health checks and stall detection read from a model (a model service fits it): they sit
 * below the services layer, so they name only what they read.
 */
export interface MonitoredModel {
  readonly id: string;
  readonly config: ModelServiceConfig;
  readonly metrics: ModelMetrics;
  readonly engine: {
    upstreams(): MonitoredUpstream[];
    activity(): { inFlight: number; lastProgressAt: number };
  };
  getMemoryUsage(): { pid: number; source: string; rss_bytes: number };
}
