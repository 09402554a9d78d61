import { ApiError } from '../common/api-error';
import { Endpoint } from '../monitoring/model-metrics';

/**
 * The allow-list: every engine endpoint a client can reach through us, in one table. The
 * controller's routes are taken from it; anything else vLLM serves (its admin and development
 * endpoints: LoRA loading, sleep/wake, profiling, collective RPC, cache resets, …) matches no
 * route here and answers 404.
 */
export interface ForwardedEndpoint {
  method: 'GET' | 'POST';
  /** The route on our listeners (Fastify syntax) and, parameters filled in, the engine's path. */
  route: string;
  /** The metrics `endpoint` label: a fixed value, never from the request. */
  endpoint: Endpoint;
  /** Body fields the endpoint cannot work without (any one of them); the engine judges their content. */
  requires?: readonly string[];
}

export const FORWARDED = {
  chat: { method: 'POST', route: '/v1/chat/completions', endpoint: 'chat_completions' },
  completions: { method: 'POST', route: '/v1/completions', endpoint: 'completions' },
  createResponse: { method: 'POST', route: '/v1/responses', endpoint: 'responses', requires: ['input'] },
  retrieveResponse: { method: 'GET', route: '/v1/responses/:id', endpoint: 'responses' },
  cancelResponse: { method: 'POST', route: '/v1/responses/:id/cancel', endpoint: 'responses' },
  embeddings: { method: 'POST', route: '/v1/embeddings', endpoint: 'embeddings', requires: ['input', 'messages'] },
  tokenize: { method: 'POST', route: '/tokenize', endpoint: 'tokenize', requires: ['prompt', 'messages'] },
  detokenize: { method: 'POST', route: '/detokenize', endpoint: 'detokenize', requires: ['tokens'] },
} as const satisfies Record<string, ForwardedEndpoint>;

/**
 * What the gateway itself must know of a forwarded body (chat and completions have their DTOs):
 * `model` (it routes by it), `stream` (it decides how to relay) and that the endpoint's input is
 * there. Every other field is the engine's to judge.
 */
export function checkForwardedBody(spec: ForwardedEndpoint, body: Record<string, unknown>): void {
  if (body.model !== undefined && body.model !== null && typeof body.model !== 'string') throw ApiError.invalid('Invalid request: model must be a string.', 'model');
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw ApiError.invalid('Invalid request: stream must be a boolean.', 'stream');
  const requires = spec.requires;
  if (requires && !requires.some((field) => body[field] !== undefined && body[field] !== null)) {
    throw ApiError.invalid(`Invalid request: ${requires.join(' or ')} is required.`, requires[0]);
  }
}

/** The engine's path for a route, its parameters filled in (encoded: a client's id never changes the path). */
export function enginePath(spec: ForwardedEndpoint, params: Record<string, string> = {}): string {
  // Most routes have no parameter: the route is the path (no pattern run per request).
  if (!spec.route.includes(':')) return spec.route;
  return spec.route.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}
