import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ModelHealthService } from '../monitoring/health/model-health.service';
import { EFFICIENCY_FAMILIES, MetricsRegistry } from '../monitoring/metrics-registry';
import { efficiencyManagerOf } from '../orchestration/admission-factory';
import { ModelService } from '../services/ai-models/model-service';
import { EfficiencyManager } from '../services/optimization/efficiency-manager';
import { efficiencyReport } from '../services/optimization/efficiency-report';

/**
 * Phi-3-Mini's efficiency endpoints (seed 1.5), on a model port whose config has an efficiency
 * section: GET /efficiency (JSON) and GET /metrics/efficiency (the same as Prometheus text).
 */
@Controller()
export class EfficiencyController {
  private readonly manager: EfficiencyManager;

  constructor(
    private readonly model: ModelService,
    private readonly health: ModelHealthService,
  ) {
    const manager = efficiencyManagerOf(model.admission);
    if (!manager) throw new Error(`${model.id} has no efficiency manager (no efficiency section in its config)`);
    this.manager = manager;
  }

  /** Always 200: a report (the throttle refusing is its job), whose `status` is the throttle's health. */
  @Get('efficiency')
  async efficiency() {
    const state = this.manager.throttleState();
    return efficiencyReport(this.model, this.manager, await this.health.checkThrottle(state));
  }

  @Get('metrics/efficiency')
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    const metrics = MetricsRegistry.get();
    await reply.header('content-type', metrics.registry.contentType).send(await metrics.text({ model: this.model.id, families: EFFICIENCY_FAMILIES }));
  }
}
