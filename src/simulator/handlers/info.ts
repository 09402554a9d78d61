/** GET /v1/models, /health, /ping, /version, /metrics. */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendEmpty, sendJson } from '../http-util';
import type { SimContext } from '../sim-context';

/**
 * vLLM's ModelCard list (serving_models.py `show_available_models`): the base models, `root` the
 * served model (the path or repo vLLM was started with), then each LoRA adapter with `root` its
 * path, `parent` its base model and no `max_model_len`.
 */
export function handleModels(ctx: SimContext, _req: IncomingMessage, res: ServerResponse): void {
  const created = Math.floor(Date.now() / 1000);
  const bases = [...ctx.engines.values()].map(({ model }) => ({ id: model.servedName, root: model.servedName, parent: null, maxModelLen: model.maxModelLen }));
  const loras = [...ctx.adapters.values()].map((a) => ({ id: a.name, root: a.path, parent: a.engine.model.servedName, maxModelLen: null }));
  const data = [...bases, ...loras].map((card) => ({
    id: card.id,
    object: 'model',
    created,
    owned_by: 'vllm',
    root: card.root,
    parent: card.parent,
    max_model_len: card.maxModelLen,
    permission: [
      {
        id: `modelperm-${randomBytes(16).toString('hex')}`,
        object: 'model_permission',
        created,
        allow_create_engine: false,
        allow_sampling: true,
        allow_logprobs: true,
        allow_search_indices: false,
        allow_view: true,
        allow_fine_tuning: false,
        organization: '*',
        group: null,
        is_blocking: false,
      },
    ],
  }));
  sendJson(res, 200, JSON.stringify({ object: 'list', data }));
}

/** 200 with an empty body; 503 while the engine is dead or still starting. */
export function handleHealth(ctx: SimContext, _req: IncomingMessage, res: ServerResponse): void {
  sendEmpty(res, ctx.faults.engineDead() || ctx.faults.starting() ? 503 : 200);
}

export function handleVersion(ctx: SimContext, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, JSON.stringify({ version: ctx.vllmVersion }));
}

export async function handleMetrics(ctx: SimContext, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = await ctx.metrics.render();
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, { 'content-type': ctx.metrics.contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
