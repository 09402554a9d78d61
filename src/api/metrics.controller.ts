import { Controller, DynamicModule, Get, Module, Res } from '@nestjs/common';
import { PrometheusController, PrometheusModule } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { MetricsRegistry } from '../monitoring/metrics-registry';

/** Whose series a listener's /metrics shows: one model's (its port), or all (the gateway). */
export class MetricsScope {
  constructor(readonly model?: string) {}
}

/**
 * Prometheus exposition through @willsoto/nestjs-prometheus's controller: on a model's port its
 * own series (and the process's Node metrics), on the gateway every model's. The families live
 * in the process-wide MetricsRegistry, not in prom-client's global registry.
 */
@Controller()
export class MetricsController extends PrometheusController {
  constructor(private readonly scope: MetricsScope) {
    super();
  }

  @Get()
  override async index(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const metrics = MetricsRegistry.get();
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.text(this.scope.model);
  }
}

/** Gives the listener's MetricsScope to PrometheusModule's controller (an app-wide provider). */
@Module({})
class MetricsScopeModule {}

/** GET /metrics for a listener: `model` for a model's port, nothing for the gateway. */
export function metricsEndpoint(model?: string): DynamicModule[] {
  return [
    { module: MetricsScopeModule, global: true, providers: [{ provide: MetricsScope, useValue: new MetricsScope(model) }], exports: [MetricsScope] },
    // Node's default metrics are collected once, into MetricsRegistry's registry.
    PrometheusModule.register({ controller: MetricsController, path: '/metrics', defaultMetrics: { enabled: false } }),
  ];
}
