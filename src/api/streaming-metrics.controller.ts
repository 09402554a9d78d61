import { Controller, Get, Headers, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MetricsRegistry, STREAMING_FAMILIES } from '../monitoring/metrics-registry';
import { streamingReport } from '../monitoring/streaming-report';
import { ModelService } from '../services/ai-models/model-service';

/** True when the client asks for JSON rather than Prometheus text. */
export function wantsJson(accept: string | undefined): boolean {
  return typeof accept === 'string' && accept.includes('application/json');
}

/**
 * GET /metrics/streaming on a model's port (OpenChat's, seed 1.4): streams active, started and
 * how they ended, time to first token, gaps between chunks, chunks and bytes relayed, the
 * stream cap and its rejections. Prometheus text, or JSON with Accept: application/json.
 */
@Controller('metrics')
export class StreamingMetricsController {
  constructor(private readonly model: ModelService) {}

  @Get('streaming')
  async streaming(@Headers('accept') accept: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    if (wantsJson(accept)) {
      await reply.send(streamingReport(this.model.metrics));
      return;
    }
    const metrics = MetricsRegistry.get();
    await reply.header('content-type', metrics.registry.contentType).send(await metrics.text({ model: this.model.id, families: STREAMING_FAMILIES }));
  }
}
