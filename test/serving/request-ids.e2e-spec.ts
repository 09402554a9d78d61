import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { waitFor } from '../support/engine-control';
import { readSse } from '../support/sse';
import { startCitadel } from '../support/start-citadel';
import { BatchedConsoleLogger } from '../../src/api/batched-console-logger';

const COMPLETION = JSON.stringify({ id: 'cmpl-1', object: 'text_completion', created: 1, model: 'm', choices: [{ index: 0, text: 'ok', finish_reason: 'stop' }], usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 } });

/**
 * Request ids end to end: a client's `X-Request-Id` (or a new one) comes back on every answer —
 * JSON, a stream, an error — and reaches the engine; a forged one (too long, or with characters
 * that could break a log line) is replaced. One access-log line per request, with method,
 * route, status, duration, model, tokens and request id, never the prompt or the key.
 */
describe('request ids and the access log', () => {
  let server: ServiceOrchestrator;
  let engine: Server;
  const seen: string[] = [];
  const logged: string[] = [];
  let restore: () => void;

  beforeAll(async () => {
    engine = createServer((req: IncomingMessage, res) => {
      // The server's own GETs (the /health probe, the /metrics collection) get an engine's plain 200.
      if (req.method === 'GET') return void req.resume().on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end());
      seen.push(String(req.headers['x-request-id']));
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      // A prompt of HOLD is never answered: its client leaves first.
      req.on('end', () => (body.includes('HOLD') ? undefined : res.writeHead(200, { 'content-type': 'application/json' }).end(COMPLETION)));
    });
    await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve));
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => (logged.push(String(chunk)), write(chunk, ...rest))) as typeof process.stdout.write;
    restore = () => (process.stdout.write = write);
    server = await startCitadel({
      only: ['phi-3-mini'],
      logLevels: ['error', 'warn', 'log'],
      env: { PHI_3_MINI_ENGINE_MODE: 'external', PHI_3_MINI_ENGINE_URLS: `http://127.0.0.1:${(engine.address() as AddressInfo).port}`, CITADEL_API_KEYS: 'sk-secret-key-42' },
    });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    engine?.close();
    restore?.();
  });

  const post = (headers: Record<string, string>, body: object = {}, signal?: AbortSignal) =>
    fetch(`${server.models[0].url}/v1/completions`, {
      method: 'POST',
      signal,
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-secret-key-42', ...headers },
      body: JSON.stringify({ prompt: 'SECRET-PROMPT', max_tokens: 1, ...body }),
    });

  it("returns the client's id, sends it to the engine, and logs one line for the request", async () => {
    const res = await post({ 'x-request-id': 'client-abc-123' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('client-abc-123');
    expect(seen).toContain('client-abc-123');
    await new Promise((r) => setTimeout(r, 50));
    // Log lines still waiting in their batch are part of what is checked.
    BatchedConsoleLogger.flush();
    const line = logged.find((l) => l.includes('request_id=client-abc-123'))!;
    expect(line).toMatch(/POST \/v1\/completions 200 [\d.]+ms model=phi-3-mini prompt_tokens=2 completion_tokens=1 request_id=client-abc-123/);
    expect(logged.join('')).not.toContain('SECRET-PROMPT');
    expect(logged.join('')).not.toContain('sk-secret-key-42');
  });

  it('logs a request whose client left before the answer (streamed or not) with 499, as requests_total counts it', async () => {
    for (const stream of [false, true]) {
      const id = `left-${stream}`;
      const controller = new AbortController();
      const sent = post({ 'x-request-id': id }, { prompt: 'HOLD', stream }, controller.signal).catch(() => undefined);
      await waitFor(() => seen.includes(id), 5_000, 'the request to reach the engine');
      controller.abort();
      await sent;
      await waitFor(() => {
        BatchedConsoleLogger.flush();
        return logged.some((l) => l.includes(`request_id=${id}`));
      }, 5_000, 'the access-log line');
      expect(logged.find((l) => l.includes(`request_id=${id}`))).toMatch(new RegExp(`POST /v1/completions 499 [\\d.]+ms( model=phi-3-mini)? request_id=${id}`));
    }
  });

  it('makes an id when there is none or it is forged, and puts it on errors and streams too', async () => {
    for (const forged of [undefined, 'x'.repeat(200), 'a b\nFAKE LOG LINE']) {
      const res = await post(forged === undefined ? {} : { 'x-request-id': forged.replace(/\n/g, ' ') });
      const id = res.headers.get('x-request-id')!;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
    const refused = await fetch(`${server.models[0].url}/v1/completions`, { method: 'POST', headers: { 'x-request-id': 'err-1' }, body: '{}' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-request-id')).toBe('err-1');
    const invalid = await post({ 'x-request-id': 'err-2' }, { prompt: 7 });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('x-request-id')).toBe('err-2');
  });

  it('a stream carries the id in its headers', async () => {
    const phi = await startCitadel({ only: ['phi-3-mini'] });
    try {
      const res = await fetch(`${phi.models[0].url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'stream-7' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], max_tokens: 2, stream: true }),
      });
      expect(res.headers.get('x-request-id')).toBe('stream-7');
      expect((await readSse(res)).pop()).toBe('[DONE]');
    } finally {
      await phi.stop();
    }
  }, 30_000);
});
