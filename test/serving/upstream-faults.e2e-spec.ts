import OpenAI from 'openai';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { NO_FAULTS, setFaults } from '../support/engine-control';
import { startCitadel } from '../support/start-citadel';

type ErrorBody = { error: { message: string; type: string; code: unknown } };

describe('upstream faults reach the client as clear errors', () => {
  let server: ServiceOrchestrator;
  let url: string;
  let engine: string;

  beforeAll(async () => {
    server = await startCitadel({ only: ['mixtral-8x7b'] });
    url = server.models[0].url;
    engine = server.models[0].engineUrls[0];
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  afterEach(() => setFaults(engine, NO_FAULTS));

  const complete = () => fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'hello', max_tokens: 3 }) });

  it.each([429, 500, 503])('relays the engine\'s %i with its body', async (status) => {
    await setFaults(engine, { errorRate: 1, errorStatus: status });
    const res = await complete();
    expect(res.status).toBe(status);
    const body = (await res.json()) as ErrorBody;
    expect(typeof body.error.message).toBe('string');
  });

  it('maps the SDK\'s RateLimitError from a relayed 429', async () => {
    await setFaults(engine, { errorRate: 1, errorStatus: 429 });
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
    await expect(client.completions.create({ model: 'mixtral-8x7b', prompt: 'x', max_tokens: 2 })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('a connection dropped by the engine becomes a 503 with an OpenAI-shaped body', async () => {
    await setFaults(engine, { dieAfterTokens: 1 });
    const res = await complete();
    // README's table: a dropped connection is 503 `engine_reset` (502 is for a refused connection).
    expect(res.status).toBe(503);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.type).toBe('service_unavailable');
    expect(body.error.code).toBe('engine_reset');
  });

  it('an engine that is down answers 503 and health says unhealthy naming the engine', async () => {
    await setFaults(engine, { engineDead: true });
    const res = await complete();
    expect(res.status).toBe(503);
    await server.models[0].service.engine.probe();
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(503);
    const body = (await health.json()) as { status: string; failed_check: string; model: string };
    expect(body).toMatchObject({ status: 'unhealthy', failed_check: 'engine', model: 'mixtral-8x7b' });
    await setFaults(engine, NO_FAULTS);
    await server.models[0].service.engine.probe();
    const again = await fetch(`${url}/health`);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'healthy', model: 'mixtral-8x7b', context_length: 32768 });
  });

  it('an engine in slow start is down until its /health passes, then serves', async () => {
    await setFaults(engine, { slowStartSeconds: 1 });
    const service = server.models[0].service;
    expect(await service.engine.probe()).toBe(false);
    const refused = await complete();
    expect(refused.status).toBe(503);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await service.engine.probe()).toBe(true);
    expect((await complete()).status).toBe(200);
  });

  it('the process lives on and serves after every fault', async () => {
    expect((await complete()).status).toBe(200);
  });
});

describe('an engine that cannot be reached', () => {
  let server: ServiceOrchestrator;

  beforeAll(async () => {
    // External mode pointed at a port nobody listens on.
    server = await startCitadel({ only: ['yi-34b'], env: { YI_34B_ENGINE_MODE: 'external', YI_34B_ENGINE_URLS: 'http://127.0.0.1:9' } });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('answers 502 first, then 503 once the replica is known down', async () => {
    const url = server.models[0].url;
    const ask = () => fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }) });
    const first = await ask();
    expect(first.status).toBe(502);
    expect(((await first.json()) as ErrorBody).error.code).toBe('engine_unreachable');
    const second = await ask();
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBeTruthy();
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(503);
  });
});
