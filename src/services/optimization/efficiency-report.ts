import { ModelHealthReport } from '../../monitoring/health/model-health.service';
import { ModelService } from '../ai-models/model-service';
import { EfficiencyManager, THROTTLE_REASONS } from './efficiency-manager';

function ms(seconds: number | null): number | null {
  return seconds === null ? null : Math.round(seconds * 10_000) / 10;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/**
 * /efficiency (seed 1.5): the throttle's health (`status`, from its Terminus indicator:
 * healthy, degraded or unhealthy, with `reason` and the check's details), whether the throttle
 * applies and what it does now, the latency against the target, and throughput per resource
 * unit (per core and per GB of the service's allocation).
 */
export function efficiencyReport(model: ModelService, manager: EfficiencyManager, health: ModelHealthReport) {
  const status = manager.getOptimizationStatus();
  const view = manager.view();
  const { target_latency_ms: target, cpu_cores: cores, memory_limit_gb: gb } = model.config.performance;
  const latency = model.metrics.latency();
  return {
    model: model.id,
    timestamp: new Date().toISOString(),
    efficiency_mode: status.efficiency_mode,
    status: health.status,
    ...(health.reason ? { reason: health.reason } : {}),
    ...(health.degraded ? { degraded: health.degraded } : {}),
    checks: health.checks,
    // The seed's get_optimization_status().status: whether the throttle applies (active) or not.
    optimization_status: status.status,
    active_optimizations: status.active_optimizations,
    optimizations: status.optimizations,
    current_rps: round(view.admittedPerSecond),
    max_throughput_rps: manager.rateLimitRps,
    in_flight: manager.inFlight,
    max_concurrency: manager.maxConcurrency,
    queue_depth: manager.queueDepth,
    queue_size: manager.queueSize,
    admitted_total: manager.admittedTotal,
    throttled_total: manager.throttledTotal,
    throttled_by_reason: Object.fromEntries(THROTTLE_REASONS.map((r) => [r, manager.throttled[r]])),
    latency: {
      target_ms: target,
      p50_ms: ms(latency.p50),
      p95_ms: ms(latency.p95),
      samples: latency.samples,
      within_target: latency.p95 === null ? null : latency.p95 * 1000 <= target,
    },
    tokens_per_second: round(view.tokensPerSecond),
    throughput_per_core: { cpu_cores: cores, requests_per_second: round(view.requestsPerSecondPerCore), tokens_per_second: round(view.tokensPerSecondPerCore) },
    throughput_per_gb: { memory_gb: gb, requests_per_second: round(view.requestsPerSecondPerGb), tokens_per_second: round(view.tokensPerSecondPerGb) },
    ...(model.config.efficiency?.resource_monitoring ? { resources: { memory: model.getMemoryUsage(), cpu: model.getCpuUsage() } } : {}),
  };
}
