import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MetricsRegistry } from '../monitoring/metrics-registry';
import { ModelRouter } from '../orchestration/model-router';

/** Prometheus exposition: on a model's port its own series (and the process's), on the gateway all. */
@Controller('metrics')
export class MetricsController {
  private readonly only?: string;

  constructor(router: ModelRouter) {
    this.only = router.models.length === 1 ? router.models[0].id : undefined;
  }

  @Get()
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    const metrics = MetricsRegistry.get();
    await reply.header('content-type', metrics.registry.contentType).send(await metrics.text(this.only));
  }
}
