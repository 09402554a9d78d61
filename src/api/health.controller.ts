import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ModelHealthReport, ModelHealthService } from '../monitoring/health/model-health.service';
import { ModelRouter } from '../orchestration/model-router';
import { ModelService } from '../services/ai-models/model-service';

/** A model's health in the seeds' shape, plus the flags its extras add and every check's details. */
export function modelHealth(model: ModelService, report: ModelHealthReport) {
  return {
    status: report.status,
    model: model.id,
    context_length: model.config.model.max_model_len,
    ...(model.config.realtime ? { streaming: model.config.realtime.streaming_enabled } : {}),
    ...(model.config.efficiency ? { efficiency_mode: model.config.efficiency.efficiency_mode } : {}),
    timestamp: new Date().toISOString(),
    ...(report.failed_check ? { failed_check: report.failed_check, reason: report.reason, failed_checks: report.failed_checks } : {}),
    ...(report.degraded ? { degraded: report.degraded, degraded_check: report.degraded_check, reason: report.reason } : {}),
    checks: report.checks,
    engine: { mode: model.config.engine.mode, upstreams: model.engine.upstreams() },
    // The seeds' "health with performance metrics": recent latency against the target.
    performance: { target_latency_ms: model.config.performance.target_latency_ms, latency: recentLatency(model) },
  };
}

/** Successful requests of the last 5 minutes: p50/p95 (ms) and whether p95 meets the target. */
function recentLatency(model: ModelService) {
  const latency = model.metrics.latency();
  return {
    p50_ms: ms(latency.p50),
    p95_ms: ms(latency.p95),
    samples: latency.samples,
    within_target: latency.p95 === null ? null : latency.p95 * 1000 <= model.config.performance.target_latency_ms,
  };
}

/** healthy: all healthy; unhealthy: none serves; degraded: in between (some down, or degraded). */
function overall(statuses: string[]): 'healthy' | 'degraded' | 'unhealthy' {
  const healthy = statuses.filter((s) => s === 'healthy').length;
  const serving = statuses.filter((s) => s !== 'unhealthy').length;
  return healthy === statuses.length ? 'healthy' : serving === 0 ? 'unhealthy' : 'degraded';
}

function ms(seconds: number | null): number | null {
  return seconds === null ? null : Math.round(seconds * 10_000) / 10;
}

/**
 * /health on a model's port (the seeds' shape, 503 naming the failed check), the gateway's
 * aggregate /health and /health/services, and /health/live and /health/ready (Kubernetes).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly router: ModelRouter,
    private readonly health: ModelHealthService,
  ) {}

  @Get()
  async status(@Res() reply: FastifyReply): Promise<void> {
    const models = this.router.models;
    if (models.length === 1) {
      const body = modelHealth(models[0], await this.health.check(models[0]));
      // Degraded (e.g. a circuit open) still serves: 200, with the state named in the body.
      await reply.status(body.status === 'unhealthy' ? 503 : 200).send(body);
      return;
    }
    const reports = await Promise.all(models.map((m) => this.health.check(m)));
    const status = overall(reports.map((r) => r.status));
    await reply.status(status === 'unhealthy' ? 503 : 200).send({
      status,
      timestamp: new Date().toISOString(),
      services: Object.fromEntries(models.map((m, i) => [m.id, reports[i].status])),
    });
  }

  /** The process is alive: it answers, so its event loop turns. */
  @Get('live')
  live() {
    return { status: 'ok', timestamp: new Date().toISOString() };
  }

  /**
   * Ready to take traffic. A model's port: its checks pass. The gateway: at least one model
   * passes (a degraded gateway still routes to the healthy ones). A degraded model (an open
   * circuit) still serves, so it stays ready, and the body names the state.
   */
  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const models = this.router.models;
    const reports = await Promise.all(models.map((m) => this.health.check(m)));
    const unhealthy = Object.fromEntries(models.flatMap((m, i) => (reports[i].status === 'unhealthy' ? [[m.id, reports[i].failed_check]] : [])));
    const degraded = Object.fromEntries(models.flatMap((m, i) => (reports[i].status === 'degraded' ? [[m.id, reports[i].degraded]] : [])));
    const down = Object.keys(unhealthy).length;
    const ready = models.length === 1 ? down === 0 : down < models.length;
    await reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', ...(down ? { unhealthy } : {}), ...(Object.keys(degraded).length ? { degraded } : {}) });
  }

  /** Every service: port, status, engine mode, replicas and their state, latency target and observed p50/p95. */
  @Get('services')
  async services(@Res() reply: FastifyReply): Promise<void> {
    const services = await Promise.all(
      this.router.models.map(async (m) => {
        const report = await this.health.check(m);
        return {
          model: m.id,
          status: report.status,
          ...(report.failed_check ? { failed_check: report.failed_check, reason: report.reason } : {}),
          ...(report.degraded ? { degraded: report.degraded, degraded_check: report.degraded_check, reason: report.reason } : {}),
          port: m.config.service.port,
          metrics_port: m.config.monitoring.prometheus_port,
          engine: { mode: m.config.engine.mode, upstreams: m.engine.upstreams() },
          target_latency_ms: m.config.performance.target_latency_ms,
          latency: recentLatency(m),
          checks: report.checks,
        };
      }),
    );
    // A report, not a probe: always 200; /health is the probe that answers 503.
    await reply.send({ status: overall(services.map((s) => s.status)), timestamp: new Date().toISOString(), services });
  }
}
