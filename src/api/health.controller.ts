import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ModelRouter } from '../orchestration/model-router';
import { ModelService } from '../services/ai-models/model-service';

/** A model's health in the seeds' shape, plus the flags its extras add. */
export function modelHealth(model: ModelService) {
  const upstreams = model.engine.upstreams();
  const up = upstreams.some((u) => u.up);
  return {
    status: up ? 'healthy' : 'unhealthy',
    model: model.id,
    context_length: model.config.model.max_model_len,
    ...(model.config.realtime ? { streaming: model.config.realtime.streaming_enabled } : {}),
    ...(model.config.efficiency ? { efficiency_mode: model.config.efficiency.efficiency_mode } : {}),
    timestamp: new Date().toISOString(),
    ...(up ? {} : { failed_check: 'engine', reason: upstreams.map((u) => `${u.url}: ${u.lastError ?? 'down'}`).join('; ') || 'no engine configured' }),
    engine: { mode: model.config.engine.mode, upstreams },
  };
}

/** /health on a model's port (seed shape), /health/live and /health/ready (Kubernetes). */
@Controller('health')
export class HealthController {
  constructor(private readonly router: ModelRouter) {}

  @Get()
  async health(@Res() reply: FastifyReply): Promise<void> {
    const models = this.router.models;
    if (models.length === 1) {
      const body = modelHealth(models[0]);
      await reply.status(body.status === 'healthy' ? 200 : 503).send(body);
      return;
    }
    const services = models.map(modelHealth);
    const healthy = services.filter((s) => s.status === 'healthy').length;
    const status = healthy === services.length ? 'healthy' : healthy === 0 ? 'unhealthy' : 'degraded';
    await reply.status(status === 'unhealthy' ? 503 : 200).send({ status, timestamp: new Date().toISOString(), services: Object.fromEntries(services.map((s) => [s.model, s.status])) });
  }

  /** The process is alive and its event loop turns. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** Ready to take traffic: at least one engine replica of every served model is up. */
  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const down = this.router.models.filter((m) => !m.engine.upstreams().some((u) => u.up)).map((m) => m.id);
    await reply.status(down.length ? 503 : 200).send(down.length ? { status: 'not_ready', engines_down: down } : { status: 'ready' });
  }

  /** Every service with its port, engine and state (the gateway's view). */
  @Get('services')
  services() {
    const services = this.router.models.map((m) => ({
      ...modelHealth(m),
      port: m.config.service.port,
      metrics_port: m.config.monitoring.prometheus_port,
      target_latency_ms: m.config.performance.target_latency_ms,
    }));
    const healthy = services.filter((s) => s.status === 'healthy').length;
    const status = healthy === services.length ? 'healthy' : healthy === 0 ? 'unhealthy' : 'degraded';
    return { status, timestamp: new Date().toISOString(), services };
  }
}
