import { Body, Controller, Get, Post, Req, Res } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CompletionForwarder } from '../orchestration/completion-forwarder';
import { ModelRouter } from '../orchestration/model-router';
import { recordOf } from './access-log';
import { respond } from './answer-responder';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { CompletionRequestDto } from './dto/completion-request.dto';

/**
 * OpenAI's REST surface, the same on a model's own port (one model) and on the gateway (all):
 * only the ModelRouter differs. Thin: validation is the DTOs', the work is the forwarder's, and
 * writing its answer is the responder's.
 */
@Controller('v1')
export class OpenAIController {
  constructor(
    private readonly router: ModelRouter,
    private readonly forwarder: CompletionForwarder,
  ) {}

  @Post('chat/completions')
  async chat(@Body() body: ChatCompletionRequestDto, @Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply): Promise<void> {
    const model = this.router.resolve(body.model);
    await respond(reply, (signal) => this.forwarder.forward('chat_completions', '/v1/chat/completions', model, body, req.rawBody, signal, recordOf(req)));
  }

  @Post('completions')
  async complete(@Body() body: CompletionRequestDto, @Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply): Promise<void> {
    const model = this.router.resolve(body.model);
    await respond(reply, (signal) => this.forwarder.forward('completions', '/v1/completions', model, body, req.rawBody, signal, recordOf(req)));
  }

  @Get('models')
  models() {
    return {
      object: 'list',
      data: this.router.models.map((m) => ({
        id: m.id,
        object: 'model',
        created: m.createdAt,
        owned_by: m.servedName.includes('/') ? m.servedName.split('/')[0] : 'citadel',
        root: m.servedName,
        aliases: [m.servedName, ...m.config.model.aliases],
        max_model_len: m.config.model.max_model_len,
      })),
    };
  }
}
