import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { NO_FAULTS, setFaults, waitFor } from '../support/engine-control';
import { startCitadel } from '../support/start-citadel';
import { sampleValue, scrape } from './prom-text';

const json = { 'content-type': 'application/json' };

type Check = { status: string; message?: string; [key: string]: unknown };
type Health = {
  status: string;
  model: string;
  context_length: number;
  timestamp: string;
  streaming?: boolean;
  efficiency_mode?: boolean;
  failed_check?: string;
  reason?: string;
  checks: Record<string, Check>;
  engine: { mode: string; upstreams: { url: string; up: boolean }[] };
};
type Service = Health & { port: number; metrics_port: number; target_latency_ms: number; latency: { p50_ms: number | null; p95_ms: number | null; samples: number; within_target: boolean | null } };

async function get<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

describe('health: every model, the gateway, and its services view', () => {
  let server: ServiceOrchestrator;
  const model = (id: string) => server.models.find((m) => m.id === id)!;

  beforeAll(async () => {
    // Mixtral gives up on a silent engine after 1 s (the shipped default is 120 s).
    server = await startCitadel({ configure: (c) => (c.model('mixtral-8x7b')!.monitoring.stall_timeout_seconds = 1) });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  afterEach(async () => {
    for (const m of server.models) {
      await setFaults(m.engineUrls[0], NO_FAULTS);
      await m.service.engine.probe();
    }
  });

  it("answers the seeds' shape on every model port, with each check's details", async () => {
    const expected: Record<string, Partial<Health>> = {
      'mixtral-8x7b': { context_length: 32768 },
      'openchat-3.5': { context_length: 4096, streaming: true },
      'phi-3-mini': { context_length: 2048, efficiency_mode: true },
      'yi-34b': { context_length: 4096 },
    };
    for (const [id, extra] of Object.entries(expected)) {
      const { status, body } = await get<Health>(`${model(id).url}/health`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'healthy', model: id, ...extra });
      expect(Object.keys(body).slice(0, 3)).toEqual(['status', 'model', 'context_length']);
      expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
      expect(body.checks.engine).toMatchObject({ status: 'up', mode: 'simulated', in_flight: 0 });
      expect(body.checks.memory).toMatchObject({ status: 'up', limit_bytes: expect.any(Number), rss_bytes: expect.any(Number) });
      expect(body.checks.event_loop).toMatchObject({ status: 'up', limit_ms: 1000 });
      // The disk under the model path is only checked when this server launches vLLM (managed mode).
      expect(body.checks.disk).toBeUndefined();
      expect(body.failed_check).toBeUndefined();
      // "Health with performance metrics": recent latency against the model's target.
      const performance = (body as unknown as { performance: { target_latency_ms: number; latency: { p95_ms: number | null; samples: number; within_target: boolean | null } } }).performance;
      expect(performance).toMatchObject({ target_latency_ms: model(id).service.config.performance.target_latency_ms, latency: { samples: expect.any(Number) } });
      expect(performance.latency.within_target === null).toBe(performance.latency.p95_ms === null);
    }
    expect(((await get<Health>(`${model('mixtral-8x7b').url}/health`)).body.checks.memory as Check).engine_rss_bytes).toBeGreaterThan(0);
  });

  it('answers /health/live and /health/ready on model ports and the gateway', async () => {
    for (const url of [model('phi-3-mini').url, server.gatewayUrl!]) {
      expect(await get(`${url}/health/live`)).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect(await get(`${url}/health/ready`)).toEqual({ status: 200, body: { status: 'ready' } });
    }
  });

  it('calls an engine that hangs with requests in flight unhealthy, while its own /health still says 200', async () => {
    const mixtral = model('mixtral-8x7b');
    await setFaults(mixtral.engineUrls[0], { hang: true });
    const client = new AbortController();
    const hanging = fetch(`${mixtral.url}/v1/completions`, { method: 'POST', headers: json, body: JSON.stringify({ prompt: 'x', max_tokens: 5 }), signal: client.signal }).catch(() => undefined);
    try {
      await waitFor(async () => (await fetch(`${mixtral.url}/health`)).status === 503, 5_000, 'the stall to be noticed');
      const { body } = await get<Health>(`${mixtral.url}/health`);
      expect(body).toMatchObject({ status: 'unhealthy', model: 'mixtral-8x7b', failed_check: 'engine' });
      expect(body.reason).toMatch(/stalled: 1 request\(s\) in flight and no byte from the engine/);
      expect(body.checks.engine).toMatchObject({ status: 'down', stalled: true, in_flight: 1 });
      // vLLM's own /health would not have told: the engine answers it.
      expect((await fetch(`${mixtral.engineUrls[0]}/health`)).status).toBe(200);
      expect((await get(`${mixtral.url}/health/ready`)).status).toBe(503);
      expect(sampleValue(await scrape(mixtral.metricsUrl), 'citadel_llm_engine_stalled', { model: 'mixtral-8x7b' })).toBe(1);
    } finally {
      client.abort();
      await hanging;
    }
    await waitFor(async () => (await fetch(`${mixtral.url}/health`)).status === 200, 5_000, 'health once the stalled request is gone');
    expect(sampleValue(await scrape(mixtral.metricsUrl), 'citadel_llm_engine_stalled', { model: 'mixtral-8x7b' })).toBe(0);
  });

  it('lists every service with port, state, engine, target and observed latency', async () => {
    for (const m of server.models) {
      const res = await fetch(`${m.url}/v1/completions`, { method: 'POST', headers: json, body: JSON.stringify({ prompt: 'x', max_tokens: 3 }) });
      expect(res.status).toBe(200);
      await res.text();
    }
    const { status, body } = await get<{ status: string; services: Service[] }>(`${server.gatewayUrl}/health/services`);
    expect(status).toBe(200);
    expect(body.status).toBe('healthy');
    expect(body.services.map((s) => s.model)).toEqual(['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b']);
    const targets: Record<string, number> = { 'mixtral-8x7b': 2000, 'openchat-3.5': 1000, 'phi-3-mini': 500, 'yi-34b': 2500 };
    for (const s of body.services) {
      const running = model(s.model);
      expect(s).toMatchObject({ status: 'healthy', target_latency_ms: targets[s.model], engine: { mode: 'simulated', upstreams: [{ url: running.engineUrls[0], up: true }] } });
      expect(typeof s.port).toBe('number');
      expect(typeof s.metrics_port).toBe('number');
      expect(s.latency.samples).toBeGreaterThanOrEqual(1);
      expect(s.latency.p50_ms).toBeGreaterThan(0);
      expect(s.latency.p95_ms).toBeGreaterThanOrEqual(s.latency.p50_ms!);
      expect(typeof s.latency.within_target).toBe('boolean');
      expect(s.checks.engine.status).toBe('up');
    }
  });

  it('is degraded with one engine down (naming it) and unhealthy with all down', async () => {
    const yi = model('yi-34b');
    await setFaults(yi.engineUrls[0], { engineDead: true });
    await yi.service.engine.probe();
    const degraded = await get<{ status: string; services: Record<string, string> }>(`${server.gatewayUrl}/health`);
    expect(degraded).toMatchObject({ status: 200, body: { status: 'degraded', services: { 'yi-34b': 'unhealthy', 'mixtral-8x7b': 'healthy' } } });
    const services = await get<{ status: string; services: Service[] }>(`${server.gatewayUrl}/health/services`);
    expect(services.body.status).toBe('degraded');
    expect(services.body.services.find((s) => s.model === 'yi-34b')).toMatchObject({ status: 'unhealthy', failed_check: 'engine', engine: { upstreams: [{ up: false }] } });
    expect((await get(`${yi.url}/health`)).status).toBe(503);
    // A degraded gateway still routes the healthy models.
    expect((await get(`${server.gatewayUrl}/health/ready`)).status).toBe(200);

    for (const m of server.models) {
      await setFaults(m.engineUrls[0], { engineDead: true });
      await m.service.engine.probe();
    }
    const down = await get<{ status: string }>(`${server.gatewayUrl}/health`);
    expect(down).toMatchObject({ status: 503, body: { status: 'unhealthy' } });
    expect((await get<{ status: string }>(`${server.gatewayUrl}/health/services`)).body.status).toBe('unhealthy');
    expect((await get(`${server.gatewayUrl}/health/ready`)).status).toBe(503);
  });
});

describe('health: a process over its memory allocation', () => {
  let server: ServiceOrchestrator;

  beforeAll(async () => {
    // 10 MB: less than any Node process.
    server = await startCitadel({ only: ['yi-34b'], env: { YI_34B_MEMORY_GB: '0.01' } });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('answers 503 naming the memory check', async () => {
    const { status, body } = await get<Health>(`${server.models[0].url}/health`);
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: 'unhealthy', model: 'yi-34b', failed_check: 'memory' });
    expect(body.reason).toMatch(/resident memory .* is over the allocation of 0\.01 GB/);
    expect(body.checks.engine.status).toBe('up');
  });
});
