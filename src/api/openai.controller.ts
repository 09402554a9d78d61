import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../common/api-error';
import { Answer } from '../orchestration/answer';
import { CompletionForwarder } from '../orchestration/completion-forwarder';
import { ModelRouter } from '../orchestration/model-router';
import { ModelService } from '../services/ai-models/model-service';
import { recordOf } from './access-log';
import { respond } from './answer-responder';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { CompletionRequestDto } from './dto/completion-request.dto';
import { FORWARDED, ForwardedEndpoint, checkForwardedBody, enginePath } from './forwarded-endpoints';

/**
 * OpenAI's and vLLM's inference surface, the same on a model's own port (one model) and on the
 * gateway (all): only the ModelRouter differs. Thin: the routes are the allow-list's
 * (forwarded-endpoints.ts), validation is the DTOs' and checkForwardedBody's, the work is the
 * forwarder's, and writing its answer is the responder's.
 */
@Controller()
export class OpenAIController {
  constructor(
    private readonly router: ModelRouter,
    private readonly forwarder: CompletionForwarder,
  ) {}

  @Post(FORWARDED.chat.route)
  async chat(@Body() body: ChatCompletionRequestDto, @Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply): Promise<void> {
    await this.forward(FORWARDED.chat, body, req, reply);
  }

  @Post(FORWARDED.completions.route)
  async complete(@Body() body: CompletionRequestDto, @Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply): Promise<void> {
    await this.forward(FORWARDED.completions, body, req, reply);
  }

  @Post(FORWARDED.createResponse.route)
  async createResponse(@Body() body: Record<string, unknown>, @Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply): Promise<void> {
    await this.forward(FORWARDED.createResponse, body, req, reply);
  }

  @Post(FORWARDED.embeddings.route)
  async embeddings(@Body() body: Record<string, unknown>, @Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply): Promise<void> {
    await this.forward(FORWARDED.embeddings, body, req, reply);
  }

  @Post(FORWARDED.tokenize.route)
  async tokenize(@Body() body: Record<string, unknown>, @Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply): Promise<void> {
    await this.forward(FORWARDED.tokenize, body, req, reply);
  }

  @Post(FORWARDED.detokenize.route)
  async detokenize(@Body() body: Record<string, unknown>, @Req() req: RawBodyRequest<FastifyRequest>, @Res() reply: FastifyReply): Promise<void> {
    await this.forward(FORWARDED.detokenize, body, req, reply);
  }

  @Get(FORWARDED.retrieveResponse.route)
  async retrieveResponse(@Param('id') id: string, @Query('model') model: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.forwardStored(FORWARDED.retrieveResponse, id, model, req, reply);
  }

  @Post(FORWARDED.cancelResponse.route)
  async cancelResponse(@Param('id') id: string, @Query('model') model: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.forwardStored(FORWARDED.cancelResponse, id, model, req, reply);
  }

  @Get('v1/models')
  models() {
    // As vLLM lists them: the base models, then each LoRA adapter with its base as `parent`.
    const models = this.router.models;
    return { object: 'list', data: [...models.map(modelObject), ...models.flatMap((m) => m.adapters.map((name) => adapterObject(m, name)))] };
  }

  /** The model object for an id, served name, alias or adapter (the same shape as an entry of /v1/models). */
  @Get('v1/models/:id')
  model(@Param('id') id: string) {
    // Never the port's own model by default: an empty id names no model.
    if (!id) throw ApiError.modelNotFound('', this.router.models.map((m) => m.id));
    const model = this.router.resolve(id);
    const adapter = model.adapterNamed(id);
    return adapter === undefined ? modelObject(model) : adapterObject(model, adapter);
  }

  /** The one path of every body-carrying endpoint: routed by the body's `model`. */
  private async forward(spec: ForwardedEndpoint, dto: object, req: RawBodyRequest<FastifyRequest>, reply: FastifyReply): Promise<void> {
    const body = dto as Record<string, unknown>;
    checkForwardedBody(spec, body);
    const model = this.router.resolve(body.model);
    await respond(reply, (signal) => this.forwarder.forward(spec.endpoint, enginePath(spec), model, body, req.rawBody, signal, recordOf(req), spec.method));
  }

  /**
   * Retrieve and cancel name no model in a body. A stored response lives in the engine that made
   * it: a model's port asks its own engine; the gateway asks the engine of `?model=` when given,
   * else the model it saw make the response, else each model's engine in turn and relays the
   * first answer that is not a 404.
   */
  private async forwardStored(spec: ForwardedEndpoint, id: string, name: unknown, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (name !== undefined && typeof name !== 'string') throw ApiError.invalid('Invalid request: model must be a string.', 'model');
    const named: readonly ModelService[] = name || this.router.models.length === 1 ? [this.router.resolve(name)] : this.router.models;
    // A response this process saw made is asked of its model only (and there of its replica).
    const maker = named.length > 1 ? named.find((m) => m.storedResponses.holder(id) !== undefined) : undefined;
    const candidates = maker ? [maker] : named;
    // An empty id (`/v1/responses/`) names nothing: vLLM has no such route either.
    if (!id) throw new ApiError(404, 'Not Found', 'invalid_request_error', 'not_found');
    const path = enginePath(spec, { id });
    await respond(reply, async (signal) => {
      let last: Answer | undefined;
      let failure: unknown;
      for (const model of candidates) {
        try {
          last = await this.forwarder.forward(spec.endpoint, path, model, {}, undefined, signal, recordOf(req), spec.method);
        } catch (error) {
          // An engine that cannot answer cannot hold the response either: ask the next one.
          if (candidates.length === 1 || signal.aborted) throw error;
          failure = error;
          continue;
        }
        if (last.kind !== 'json' || last.status !== 404) return last;
      }
      if (last) return last;
      throw failure;
    });
  }
}

/**
 * A LoRA adapter, in vLLM's ModelCard shape for one (serving_models.py): `root` the path it is
 * loaded from, `parent` the base model's id in this list.
 */
function adapterObject(m: ModelService, name: string) {
  return {
    id: name,
    object: 'model',
    created: m.createdAt,
    owned_by: m.servedName.includes('/') ? m.servedName.split('/')[0] : 'citadel',
    root: m.config.model.lora_modules[name],
    parent: m.id,
    max_model_len: m.config.model.max_model_len,
  };
}

function modelObject(m: ModelService) {
  return {
    id: m.id,
    object: 'model',
    created: m.createdAt,
    owned_by: m.servedName.includes('/') ? m.servedName.split('/')[0] : 'citadel',
    root: m.servedName,
    parent: null,
    aliases: [m.servedName, ...m.config.model.aliases],
    max_model_len: m.config.model.max_model_len,
  };
}
