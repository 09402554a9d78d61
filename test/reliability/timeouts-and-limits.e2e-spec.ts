import { request } from 'node:http';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { NO_FAULTS, resetEngine, setFaults, waitFor } from '../support/engine-control';
import { startCitadel } from '../support/start-citadel';

const chat = { messages: [{ role: 'user', content: 'x' }], max_tokens: 3 };

function poster(url: () => string) {
  return (body: object) => fetch(`${url()}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('timeouts end to end', () => {
  let server: ServiceOrchestrator;
  let engine: string;
  const post = poster(() => server.models[0].url);

  beforeAll(async () => {
    server = await startCitadel({ only: ['yi-34b'], env: { YI_34B_FIRST_BYTE_TIMEOUT_MS: '600', YI_34B_FIRST_TOKEN_TIMEOUT_MS: '600' } });
    engine = server.models[0].engineUrls[0];
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  afterEach(() => resetEngine(engine));

  it('an engine that hangs gives a non-streaming client 504, and the engine request is aborted', async () => {
    await setFaults(engine, { hang: true });
    const res = await post(chat);
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('engine_timeout');
  });

  it('an engine (or a proxy before it) that hangs before sending headers gives a streaming client 504 (nothing was sent yet)', async () => {
    await setFaults(engine, { hangBeforeHeaders: true });
    const res = await post({ ...chat, stream: true });
    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toMatch(/json/);
  });

  // vLLM sends 200 and its SSE headers at once, then the tokens: a stuck vLLM is headers, then
  // silence. The client must hear within first_token_ms, either as a 504 before any byte or as an
  // in-band error event then [DONE].
  it('an engine that hangs after its headers, before the first token, is cut at first_token_ms for a streaming client', async () => {
    await setFaults(engine, { hang: true });
    const res = await fetch(`${server.models[0].url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...chat, stream: true }),
      signal: AbortSignal.timeout(5_000),
    });
    if (res.status === 504) return;
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/data: \{"error":.*\n\ndata: \[DONE\]\n\n$/s);
  });
});

describe('load shedding and request limits', () => {
  let server: ServiceOrchestrator;
  let engine: string;
  const post = poster(() => server.models[0].url);

  beforeAll(async () => {
    server = await startCitadel({ only: ['yi-34b'], env: { YI_34B_MAX_CONCURRENT_REQUESTS: '3' } });
    engine = server.models[0].engineUrls[0];
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('sheds load beyond max_concurrent_requests with 429 and Retry-After, and serves again after', async () => {
    await setFaults(engine, { hang: true });
    const held = Array.from({ length: 3 }, () => {
      const req = request(`${server.models[0].url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      req.on('error', () => undefined);
      req.end(JSON.stringify(chat));
      return req;
    });
    await waitFor(() => server.models[0].service.engine.activity().inFlight === 3, 3_000, 'three requests in flight');
    const shed = await post(chat);
    expect(shed.status).toBe(429);
    expect(shed.headers.get('retry-after')).toBe('1');
    held.forEach((r) => r.destroy());
    await setFaults(engine, NO_FAULTS);
    await waitFor(async () => (await post(chat)).status === 200, 3_000, 'capacity to come back');
  });

  it('refuses JSON nested too deep before anything walks it', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const res = await fetch(`${server.models[0].url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"messages":[{"role":"user","content":"x"}],"extra":${deep}}`,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('body_too_deep');
  });

  it('refuses a body with too many values', async () => {
    const res = await post({ ...chat, extra: Array.from({ length: 250_000 }, () => 1) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('body_too_complex');
  });

  it('the process is alive and nothing is left in flight', async () => {
    expect((await post(chat)).status).toBe(200);
    expect(server.models[0].service.engine.activity().inFlight).toBe(0);
  });
});
