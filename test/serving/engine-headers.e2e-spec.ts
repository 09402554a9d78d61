import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { startCitadel } from '../support/start-citadel';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/**
 * A router in front of vLLM (vLLM itself sends no Retry-After; routers and gateways such as an
 * InferencePool's do): a real listener on loopback whose answers a test scripts, one per
 * inference request. The server's own GETs (the /health probe, the /metrics collection every
 * monitoring.metrics_collection_interval) get an engine's plain 200 and are not counted.
 */
async function router(handler: Handler): Promise<{ url: string; calls: () => number; server: Server }> {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end();
      return;
    }
    req.on('end', () => handler(req, res, n++));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls: () => n, server };
}

const COMPLETION = JSON.stringify({ id: 'cmpl-1', object: 'text_completion', created: 1, model: 'm', choices: [{ index: 0, text: 'ok', finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
const BUSY = JSON.stringify({ error: { message: 'busy', type: 'rate_limit_exceeded', param: null, code: 429 } });

/**
 * Which engine headers reach the client, on every path: `Retry-After` (and `x-request-id`, where
 * the request's own id, sent to the engine, takes precedence), on a
 * JSON answer, on an error answer, on a stream refused with JSON, and on a fallback's answer is
 * the same code path (the answering engine's reply). Our retry honours Retry-After: within
 * `engine.retry.max_delay_ms` it waits that long and tries again; beyond it the client gets the
 * engine's answer with its Retry-After.
 */
describe('engine headers: Retry-After and x-request-id', () => {
  let server: ServiceOrchestrator | undefined;
  let upstream: Awaited<ReturnType<typeof router>> | undefined;

  afterEach(async () => {
    await server?.stop();
    upstream?.server.close();
    server = undefined;
  });

  async function serveWith(handler: Handler) {
    upstream = await router(handler);
    server = await startCitadel({ only: ['phi-3-mini'], env: { PHI_3_MINI_ENGINE_MODE: 'external', PHI_3_MINI_ENGINE_URLS: upstream.url } });
    return server.models[0].url;
  }

  const post = (url: string, body: object, headers: Record<string, string> = {}) =>
    fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ prompt: 'x', max_tokens: 1, ...body }) });

  it('relays a 429 with Retry-After: 7 (beyond max_delay_ms) at once, with the header, for JSON and for a stream refused with JSON', async () => {
    const url = await serveWith((req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7', 'x-request-id': 'router-42' }).end(BUSY);
    });
    for (const stream of [false, true]) {
      const res = await post(url, { stream });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      // The request's own id wins over the engine's (the engine was sent ours: vLLM echoes it).
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('waits for a Retry-After within max_delay_ms (1 s) and retries, then answers with the request id the engine was sent', async () => {
    const ids: string[] = [];
    const url = await serveWith((req, res) => {
      ids.push(String(req.headers['x-request-id']));
      if (ids.length === 1) return res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(BUSY);
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'router-43' }).end(COMPLETION);
    });
    const started = Date.now();
    const res = await post(url, {}, { 'x-request-id': 'client-43' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('client-43');
    expect(ids).toEqual(['client-43', 'client-43']);
    // The second attempt came after the engine's Retry-After, not after a ~50 ms backoff.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('never relays other engine headers', async () => {
    const url = await serveWith((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'a=b', server: 'uvicorn', 'x-internal': 'secret' }).end(COMPLETION);
    });
    const res = await post(url, {});
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('x-internal')).toBeNull();
  });
});
