/**
 * What every framework floor (framework-floors.ts) does with a request, whatever the framework
 * around it: the one check a gateway cannot skip (the body names its model), the upstream call
 * with the raw bytes through an undici `Pool` per upstream (round robin, as the bare proxy), the
 * answer read whole into a Buffer, and 502 when the upstream cannot be reached. Kept here once so
 * that the floors differ only in the framework that carries the request.
 */
import { Pool } from 'undici';
import { BARE_PROXY_CONNECTIONS } from './bare-proxy';

/** The two forwarded routes every floor serves (POST). */
export const FLOOR_ROUTES = ['/v1/chat/completions', '/v1/completions'] as const;

/** A running floor proxy. */
export interface FloorProxy {
  url: string;
  close(): Promise<void>;
}

export interface UpstreamAnswer {
  statusCode: number;
  contentType: string;
  body: Buffer;
}

const UPSTREAM_HEADERS = { 'content-type': 'application/json' };

/** The upstreams' pools, taken in turn. */
export class FloorUpstream {
  private readonly pools: Pool[];
  private next = 0;

  constructor(urls: readonly string[], connections = BARE_PROXY_CONNECTIONS) {
    if (urls.length === 0) throw new Error('a floor proxy needs at least one upstream');
    this.pools = urls.map((u) => new Pool(u.replace(/\/+$/, ''), { connections }));
  }

  /** POSTs `body` as it came to `path` on the next upstream; rejects when it cannot be reached or `signal` aborts. */
  async relay(path: string, body: Buffer, signal: AbortSignal): Promise<UpstreamAnswer> {
    const pool = this.pools[this.next];
    this.next = (this.next + 1) % this.pools.length;
    const upstream = await pool.request({ method: 'POST', path, headers: UPSTREAM_HEADERS, body, signal });
    const answer = Buffer.from(await upstream.body.arrayBuffer());
    const type = upstream.headers['content-type'];
    return { statusCode: upstream.statusCode, contentType: typeof type === 'string' ? type : 'application/json', body: answer };
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.destroy()));
  }
}

/** True when the parsed body is an object whose `model` is a string: the check every gateway makes before routing. */
export function namesModel(body: unknown): boolean {
  return typeof body === 'object' && body !== null && typeof (body as { model?: unknown }).model === 'string';
}

/** The 400 answer for a body without a model, OpenAI's error shape. */
export const MISSING_MODEL_BODY = JSON.stringify({ error: { message: 'The request body must name its model ("model": a string).', type: 'invalid_request_error', param: 'model', code: null } });

/** The 400 answer for a body that is not JSON, OpenAI's error shape (the node:http floor's; Fastify answers its own). */
export const INVALID_JSON_BODY = JSON.stringify({ error: { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', param: null, code: 'invalid_json' } });

/** The 502 answer when the upstream cannot be reached, OpenAI's error shape. */
export function badGatewayBody(error: unknown): string {
  return JSON.stringify({ error: { message: `bad gateway: ${(error as Error)?.message ?? String(error)}`, type: 'server_error', param: null, code: 'bad_gateway' } });
}
