import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
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

  constructor(private readonly model: ModelService) {
    const manager = efficiencyManagerOf(model.admission);
    if (!manager) throw new Error(`${model.id} has no efficiency manager (no efficiency section in its config)`);
    this.manager = manager;
  }

  @Get('efficiency')
  efficiency() {
    return efficiencyReport(this.model, this.manager);
  }

  @Get('metrics/efficiency')
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    const metrics = MetricsRegistry.get();
    await reply.header('content-type', metrics.registry.contentType).send(await metrics.text({ model: this.model.id, families: EFFICIENCY_FAMILIES }));
  }
}
