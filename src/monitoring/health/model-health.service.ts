import { Injectable, Logger } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, HealthIndicatorFunction } from '@nestjs/terminus';
import { MonitoredModel } from '../monitored-model';
import { DiskHealthIndicator } from './disk.health';
import { EngineHealthIndicator } from './engine.health';
import { EventLoopHealthIndicator } from './event-loop.health';
import { MemoryHealthIndicator } from './memory.health';
import { ThrottleHealthIndicator, ThrottleState } from './throttle.health';

export type CheckDetails = Record<string, { status: string; message?: string; [key: string]: unknown }>;

/**
 * One model's health: every check's details, and the first failed check when there is one.
 * degraded: every check passes but one reports a reduced state (`degraded`, e.g. circuit_open):
 * the model serves, and probes and dashboards should say so.
 */
export interface ModelHealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  /** The first check that failed (engine, memory, event_loop, disk, or shutdown while stopping). */
  failed_check?: string;
  reason?: string;
  failed_checks?: string[];
  /** When degraded: the state's name (circuit_open) and the check that reports it. */
  degraded?: string;
  degraded_check?: string;
  checks: CheckDetails;
}

/**
 * Runs a model's checks through Terminus: engine (replicas up, not stalled), memory, event loop,
 * and disk in managed mode. Used by a model's own port and by the gateway for every model.
 */
@Injectable()
export class ModelHealthService {
  private readonly logger = new Logger('Health');
  /** Each model's last status, process-wide: a change is logged once however many listeners ask. */
  private static readonly last = new Map<string, string>();

  constructor(
    private readonly health: HealthCheckService,
    private readonly engine: EngineHealthIndicator,
    private readonly memory: MemoryHealthIndicator,
    private readonly eventLoop: EventLoopHealthIndicator,
    private readonly disk: DiskHealthIndicator,
    private readonly throttle: ThrottleHealthIndicator,
  ) {}

  async check(model: MonitoredModel): Promise<ModelHealthReport> {
    const report = await this.evaluate(model);
    const previous = ModelHealthService.last.get(model.id);
    ModelHealthService.last.set(model.id, report.status);
    if (previous !== undefined && previous !== report.status) {
      if (report.status === 'healthy') this.logger.log(`${model.id} is healthy again`);
      else if (report.status === 'degraded') this.logger.warn(`${model.id} is degraded: ${report.degraded}: ${report.reason ?? ''}`);
      else this.logger.warn(`${model.id} is unhealthy: ${report.failed_check}: ${report.reason ?? ''}`);
    }
    return report;
  }

  /** The efficiency throttle's health (Phi-3-Mini's /efficiency): its queue and admitted rate. */
  checkThrottle(state: ThrottleState): Promise<ModelHealthReport> {
    return this.summarize([() => this.throttle.check(state)]);
  }

  private evaluate(model: MonitoredModel): Promise<ModelHealthReport> {
    const indicators: HealthIndicatorFunction[] = [() => this.engine.check(model), () => this.memory.check(model), () => this.eventLoop.check()];
    if (this.disk.applies(model.config)) indicators.push(() => this.disk.check(model.config));
    return this.summarize(indicators);
  }

  private async summarize(indicators: HealthIndicatorFunction[]): Promise<ModelHealthReport> {
    const result = await this.run(indicators);
    const checks = result.details as CheckDetails;
    if (result.status === 'ok') {
      const degraded = Object.entries(checks).find(([, c]) => typeof c.degraded === 'string');
      if (!degraded) return { status: 'healthy', checks };
      const [check, details] = degraded;
      return { status: 'degraded', degraded: details.degraded as string, degraded_check: check, reason: details.message, checks };
    }
    const failed = Object.keys(result.error ?? {});
    if (result.status === 'shutting_down' && failed.length === 0) {
      return { status: 'unhealthy', failed_check: 'shutdown', reason: 'the service is shutting down', failed_checks: ['shutdown'], checks };
    }
    const first = failed[0];
    return { status: 'unhealthy', failed_check: first, reason: checks[first]?.message, failed_checks: failed, checks };
  }

  /** Terminus throws a 503 exception holding the result when a check fails; we want the result. */
  private async run(indicators: HealthIndicatorFunction[]): Promise<HealthCheckResult> {
    try {
      return await this.health.check(indicators);
    } catch (error) {
      const response = (error as { getStatus?: () => number; getResponse?: () => unknown }).getResponse?.();
      if ((error as { getStatus?: () => number }).getStatus?.() === 503 && isResult(response)) return response;
      throw error;
    }
  }
}

function isResult(value: unknown): value is HealthCheckResult {
  return typeof value === 'object' && value !== null && 'status' in value && 'details' in value;
}
