import { Agent, request } from 'undici';
import { startCitadel } from '../support/start-citadel';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { engineMetric, NO_FAULTS, setFaults, waitFor } from '../support/engine-control';
import { sampleValue, scrape } from './prom-text';

const json = { 'content-type': 'application/json' };
const completion = JSON.stringify({ prompt: 'Quick test', max_tokens: 5 });

type Efficiency = {
  model: string;
  efficiency_mode: boolean;
  status: string;
  optimization_status: string;
  active_optimizations: string[];
  current_rps: number;
  in_flight: number;
  queue_depth: number;
  admitted_total: number;
  throttled_total: number;
  throttled_by_reason: Record<string, number>;
  latency: { target_ms: number; p50_ms: number | null; p95_ms: number | null; samples: number; within_target: boolean | null };
  tokens_per_second: number;
  throughput_per_core: { cpu_cores: number; requests_per_second: number; tokens_per_second: number };
  throughput_per_gb: { memory_gb: number; requests_per_second: number; tokens_per_second: number };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Phi-3-Mini at three times its configured rate (seed 1.5 throttle)', () => {
  let server: ServiceOrchestrator;
  let url: string;

  beforeAll(async () => {
    server = await startCitadel({ only: ['phi-3-mini'] });
    url = server.models[0].url;
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('admits the configured rate (within 10% over 5 s), answers the rest 429 with Retry-After, drops nothing admitted', async () => {
    const config = server.models[0].service.config;
    const limit = config.efficiency!.max_throughput_rps; // 100/s shipped
    const burst = config.efficiency!.burst;
    const offered = 3 * limit;
    const windowMs = 5_000;
    const before = (await (await fetch(`${url}/efficiency`)).json()) as Efficiency;

    type Outcome = { status: number; at: number; retryAfter: string | null; ok: boolean; error?: string };
    // One keep-alive pool for the load (more connections than can ever be waiting or running at once).
    const agent = new Agent({ connections: 512 });
    const outcomes: Promise<Outcome>[] = [];
    const t0 = performance.now();
    for (let i = 0; i < (offered * windowMs) / 1000; i++) {
      const due = t0 + (i * 1000) / offered;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      outcomes.push(
        request(`${url}/v1/completions`, { method: 'POST', headers: json, body: completion, dispatcher: agent }).then(
          async (res) => {
            const body = (await res.body.json()) as { choices?: { text: string }[]; error?: { code: string } };
            const ok = res.statusCode === 200 ? Array.isArray(body.choices) && body.choices.length > 0 : body.error?.code === 'rate_limit_exceeded';
            const retryAfter = res.headers['retry-after'];
            return { status: res.statusCode, at: performance.now() - t0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, ok };
          },
          (error: Error) => ({ status: 0, at: performance.now() - t0, retryAfter: null, ok: false, error: `${(error as { code?: string }).code ?? ''} ${error.message}` }),
        ),
      );
    }
    const sendingMs = performance.now() - t0;
    // The window closes with the last request sent: what has the throttle admitted by then?
    const atWindowEnd = (await (await fetch(`${url}/efficiency`)).json()) as Efficiency;
    const results = await Promise.all(outcomes);
    await agent.close();
    // The check means something only if the load really was offered at three times the rate.
    if (sendingMs > windowMs * 1.2) throw new Error(`the client needed ${Math.round(sendingMs)} ms to send ${results.length} requests: it could not offer ${offered}/s here`);

    // Every answer is a complete 200 or a 429 with Retry-After: no error, no cut connection.
    expect(results.filter((r) => r.status !== 200 && r.status !== 429)).toEqual([]);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const refused = results.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.filter((r) => !(Number(r.retryAfter) >= 1))).toEqual([]);

    // Admitted within the window (counted by the throttle at both ends of it, so a slow answer
    // does not move an admission out of it), against the bucket's allowance: the rate for 5 s
    // plus the initial burst.
    const admittedInWindow = atWindowEnd.admitted_total - before.admitted_total;
    const allowance = (limit * windowMs) / 1000 + burst;
    expect(admittedInWindow).toBeLessThanOrEqual(allowance * 1.1);
    expect(admittedInWindow).toBeGreaterThanOrEqual(allowance * 0.9);
    // The answers tell the same: the 200s that arrived within the window are no more than that.
    expect(results.filter((r) => r.status === 200 && r.at <= windowMs).length).toBeLessThanOrEqual(admittedInWindow);

    // The server's account agrees with what the client saw.
    const after = (await (await fetch(`${url}/efficiency`)).json()) as Efficiency;
    expect(after.admitted_total - before.admitted_total).toBe(results.filter((r) => r.status === 200).length);
    expect(after.throttled_total - before.throttled_total).toBe(refused.length);
    expect(after.queue_depth).toBe(0);
    expect(after.in_flight).toBe(0);
    const text = await scrape(server.models[0].metricsUrl);
    expect(sampleValue(text, 'citadel_llm_throttled_total', { model: 'phi-3-mini', rule: 'efficiency', reason: 'queue_full' })).toBe(after.throttled_by_reason.queue_full);
  }, 30_000);

  it('reports efficiency on /efficiency: mode, optimisations, rates, latency against the target, throughput per core and per GB', async () => {
    const body = (await (await fetch(`${url}/efficiency`)).json()) as Efficiency;
    expect(body).toMatchObject({
      model: 'phi-3-mini',
      efficiency_mode: true,
      status: 'healthy',
      checks: { throttle: { status: 'up', queue_depth: 0, target_rps: 100 } },
      optimization_status: 'active',
      active_optimizations: ['rate_limit', 'concurrency_cap', 'admission_queue', 'resource_monitoring'],
      queue_depth: 0,
      latency: { target_ms: 500 },
      throughput_per_core: { cpu_cores: 2 },
      throughput_per_gb: { memory_gb: 4 },
    });
    // After the run above: the last 10 s saw requests and tokens.
    expect(body.current_rps).toBeGreaterThan(0);
    expect(body.tokens_per_second).toBeGreaterThan(0);
    expect(body.throughput_per_core.requests_per_second).toBeCloseTo(body.current_rps / 2, 2);
    expect(body.throughput_per_gb.tokens_per_second).toBeCloseTo(body.tokens_per_second / 4, 2);
    expect(body.latency.p95_ms).toBeGreaterThanOrEqual(body.latency.p50_ms!);
    expect(body.latency.within_target).toBe(body.latency.p95_ms! <= 500);
  });

  it('gives the same as Prometheus text on /metrics/efficiency', async () => {
    const res = await fetch(`${url}/metrics/efficiency`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sampleValue(text, 'citadel_llm_efficiency_mode', { model: 'phi-3-mini' })).toBe(1);
    expect(sampleValue(text, 'citadel_llm_efficiency_rate_limit_requests_per_second', { model: 'phi-3-mini' })).toBe(100);
    expect(sampleValue(text, 'citadel_llm_efficiency_max_concurrency', { model: 'phi-3-mini' })).toBe(32);
    expect(sampleValue(text, 'citadel_llm_efficiency_optimization_active', { model: 'phi-3-mini', optimization: 'rate_limit' })).toBe(1);
    expect(sampleValue(text, 'citadel_llm_efficiency_optimization_active', { model: 'phi-3-mini', optimization: 'memory_optimization' })).toBe(0);
    expect(sampleValue(text, 'citadel_llm_target_latency_seconds', { model: 'phi-3-mini' })).toBe(0.5);
    for (const family of ['queue_depth', 'in_flight_requests', 'admitted_requests_per_second', 'tokens_per_second', 'latency_p95_seconds', 'requests_per_second_per_core', 'tokens_per_second_per_gigabyte']) {
      expect(sampleValue(text, `citadel_llm_efficiency_${family}`, { model: 'phi-3-mini' })).toBeGreaterThanOrEqual(0);
    }
    expect(text).not.toMatch(/^citadel_llm_requests_total/m);
  });
});

describe('the admission queue holds requests until a slot frees, and lets go of clients that leave', () => {
  let server: ServiceOrchestrator;
  let url: string;
  let engine: string;

  beforeAll(async () => {
    // One request at the engine at a time, two may wait (for long), plenty of tokens: only the slot binds.
    server = await startCitadel({
      only: ['phi-3-mini'],
      configure: (c) => {
        const phi = c.model('phi-3-mini')!;
        phi.model.max_num_seqs = 1;
        Object.assign(phi.efficiency!, { queue_size: 2, queue_timeout_ms: 60_000 });
      },
    });
    url = server.models[0].url;
    engine = server.models[0].engineUrls[0];
  }, 30_000);

  afterAll(async () => {
    await setFaults(engine, NO_FAULTS);
    await server?.stop();
  });

  const efficiency = async () => (await (await fetch(`${url}/efficiency`)).json()) as Efficiency;
  const send = (signal?: AbortSignal) => fetch(`${url}/v1/completions`, { method: 'POST', headers: json, body: completion, signal });

  it('queues behind a busy slot, refuses beyond the queue, drops a waiter whose client left, admits the next', async () => {
    const successes = await engineMetric(engine, 'vllm:request_success_total');
    // The only slot: a request the engine holds.
    await setFaults(engine, { hang: true });
    const holder = new AbortController();
    const held = send(holder.signal).catch(() => undefined);
    await waitFor(async () => (await efficiency()).in_flight === 1, 5_000, 'the first request to hold the slot');
    await setFaults(engine, NO_FAULTS);

    const leaver = new AbortController();
    const leaving = send(leaver.signal).then(
      () => 'answered',
      (error: Error) => error.name,
    );
    const staying = send();
    await waitFor(async () => (await efficiency()).queue_depth === 2, 5_000, 'two requests in the queue');

    const refused = await send();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: 'rate_limit_exceeded', type: 'rate_limit_exceeded' });

    leaver.abort();
    expect(await leaving).toBe('AbortError');
    await waitFor(async () => (await efficiency()).queue_depth === 1, 5_000, 'the leaving client to be out of the queue');

    // The slot frees: the waiting request goes through, whole.
    holder.abort();
    await held;
    const answer = await staying;
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { choices: unknown[] }).choices.length).toBe(1);

    const after = await efficiency();
    expect(after).toMatchObject({ queue_depth: 0, in_flight: 0 });
    expect(after.throttled_by_reason.queue_full).toBe(1);
    // Only the request that waited its turn reached the engine and finished; the one that left never got there.
    expect((await engineMetric(engine, 'vllm:request_success_total')) - successes).toBe(1);
  });
});
