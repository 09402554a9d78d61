import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { INSTANT_PROFILE } from '../../src/simulator/profiles';
import { startSimulator } from '../../src/simulator/sim-server';
import { RunningSimulator } from '../../src/simulator/types';
import { startCitadel } from '../support/start-citadel';
import { waitFor } from '../support/engine-control';
import { sampleValue, scrape } from '../monitoring/prom-text';

/** A model served by two vLLM replicas (engine mode external) when one of them fails. */
describe('two replicas, one failing', () => {
  let a: RunningSimulator;
  let b: RunningSimulator;
  let server: ServiceOrchestrator;
  let url: string;
  const model = { id: 'phi-3-mini', servedName: 'microsoft/Phi-3-mini-4k-instruct', maxModelLen: 2048, maxNumSeqs: 32, profile: INSTANT_PROFILE };

  beforeEach(async () => {
    a = await startSimulator({ models: [model], instant: true }, { port: 0, host: '127.0.0.1' });
    b = await startSimulator({ models: [model], instant: true }, { port: 0, host: '127.0.0.1' });
    server = await startCitadel({
      only: ['phi-3-mini'],
      env: { PHI_3_MINI_ENGINE_MODE: 'external', PHI_3_MINI_ENGINE_URLS: `${a.url},${b.url}`, PHI_3_MINI_EFFICIENCY_MODE: 'false' },
    });
    url = server.models[0].url;
  }, 30_000);

  afterEach(async () => {
    await server?.stop();
    await a?.close();
    await b?.close();
  });

  const complete = () => fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'hello', max_tokens: 2 }) });

  it('spreads requests over both replicas', async () => {
    await Promise.all(Array.from({ length: 20 }, complete));
    expect(a.stats().completed).toBeGreaterThan(0);
    expect(b.stats().completed).toBeGreaterThan(0);
  });

  it('moves traffic to the live replica when one dies: no client error for non-streaming requests', async () => {
    await a.close();
    const statuses = [];
    for (let i = 0; i < 30; i++) statuses.push((await complete()).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const states = server.models[0].service.engine.upstreams();
    expect(states.find((u) => u.url === a.url)?.up).toBe(false);
    expect(states.find((u) => u.url === b.url)?.up).toBe(true);
  });

  it('retries a 503 burst from one replica on the other, passes over the one pushing back, and keeps it up with its circuit closed', async () => {
    a.setFaults({ errorRate: 1, errorStatus: 503 });
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push((await complete()).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // Back-pressure (an InferencePool's gateway, a loading vLLM) is not a dead replica.
    expect(server.models[0].service.engine.upstreams().find((u) => u.url === a.url)).toMatchObject({ up: true, circuit: 'closed', failures: 0 });
  });

  it('relays the engine\'s error when every replica fails and the retry budget is spent', async () => {
    a.setFaults({ errorRate: 1, errorStatus: 500 });
    b.setFaults({ errorRate: 1, errorStatus: 500 });
    const res = await complete();
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBeTruthy();
  });
});

const PHI = { id: 'phi-3-mini', servedName: 'microsoft/Phi-3-mini-4k-instruct', maxModelLen: 2048, maxNumSeqs: 32, profile: INSTANT_PROFILE };
const startSim = (port = 0) => startSimulator({ models: [PHI], instant: true }, { port, host: '127.0.0.1' });
const completeAt = (url: string) => fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'hello', max_tokens: 2 }) });
type Health = { status: string; degraded?: string; degraded_check?: string; reason?: string };
const getJson = async <T>(url: string): Promise<{ status: number; body: T }> => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
};

/**
 * One vLLM replica (external mode, one URL) and a short fault: the circuit breaker must not
 * outlive it. Covered: five 500s open the circuit, yet the only replica, answering its probes,
 * keeps taking calls (no 503 of our own); /health and /health/ready say degraded: circuit_open;
 * a call in flight that succeeds does not close the circuit, a passing probe half-opens it and
 * the trial closes it; a crash with calls in flight is one failure, and the replica is back
 * within a down-probe interval of the engine's restart.
 */
describe('one replica, a short fault', () => {
  let a: RunningSimulator | undefined;
  let server: ServiceOrchestrator;
  let url: string;

  beforeEach(async () => {
    a = await startSim();
    server = await startCitadel({
      only: ['phi-3-mini'],
      env: { PHI_3_MINI_ENGINE_MODE: 'external', PHI_3_MINI_ENGINE_URLS: a.url, PHI_3_MINI_EFFICIENCY_MODE: 'false' },
    });
    url = server.models[0].url;
  }, 30_000);

  afterEach(async () => {
    await server?.stop();
    await a?.close();
  });

  const upstream = () => server.models[0].service.engine.upstreams()[0];

  it('keeps serving through an open circuit, reports it, and closes it by a trial after a passing probe', async () => {
    a!.setFaults({ errorRate: 1, errorStatus: 500 });
    for (let i = 0; i < 5; i++) expect((await completeAt(url)).status).toBe(500);
    expect(upstream()).toMatchObject({ circuit: 'open', up: true });

    const health = await getJson<Health>(`${url}/health`);
    expect(health).toMatchObject({ status: 200, body: { status: 'degraded', degraded: 'circuit_open', degraded_check: 'engine' } });
    expect(health.body.reason).toContain(a!.url);
    expect(await getJson(`${url}/health/ready`)).toMatchObject({ status: 200, body: { status: 'ready', degraded: { 'phi-3-mini': 'circuit_open' } } });
    const metrics = await scrape(url);
    expect(sampleValue(metrics, 'citadel_llm_engine_circuit_state', { model: 'phi-3-mini', upstream: a!.url, state: 'open' })).toBe(1);

    // The engine recovered: the very next call is answered, not refused for open_seconds.
    a!.setFaults({ errorRate: 0 });
    expect((await completeAt(url)).status).toBe(200);
    // That call was not the trial: the circuit stays open (no flapping on stray successes).
    expect(upstream().circuit).toBe('open');
    // The scheduled probe (every health_check_interval) passes: half open; the next call is the trial.
    await server.models[0].service.engine.probe();
    expect(upstream().circuit).toBe('half_open');
    expect((await completeAt(url)).status).toBe(200);
    expect(upstream()).toMatchObject({ circuit: 'closed', failures: 0 });
    expect(await getJson<Health>(`${url}/health`)).toMatchObject({ status: 200, body: { status: 'healthy' } });
  });

  it('counts a crash with eight calls in flight as one failure, and serves again soon after the engine restarts', async () => {
    const port = a!.port;
    a!.setFaults({ hang: true });
    const calls = Array.from({ length: 8 }, () => completeAt(url).then((r) => r.status));
    await waitFor(() => server.models[0].service.engine.activity().inFlight === 8, 5_000, 'eight calls in flight');
    await new Promise((r) => setTimeout(r, 100));
    await a!.close();
    const statuses = await Promise.all(calls);
    expect(statuses.every((s) => s === 502 || s === 503)).toBe(true);
    expect(upstream()).toMatchObject({ up: false, circuit: 'closed', failures: 1 });
    expect((await getJson(`${url}/health`)).status).toBe(503);

    a = await startSim(port);
    // Down replicas are probed every second, not every health_check_interval (10 s for Phi-3).
    await waitFor(() => upstream().up, 5_000, 'the replica to be probed up');
    expect((await completeAt(url)).status).toBe(200);
    expect(upstream().circuit).toBe('closed');
  });
});

/** Two replicas: an open circuit moves traffic to the other, and never strands the model. */
describe('two replicas, one circuit open', () => {
  let a: RunningSimulator;
  let b: RunningSimulator;
  let server: ServiceOrchestrator;
  let url: string;

  beforeEach(async () => {
    a = await startSim();
    b = await startSim();
    server = await startCitadel({
      only: ['phi-3-mini'],
      env: { PHI_3_MINI_ENGINE_MODE: 'external', PHI_3_MINI_ENGINE_URLS: `${a.url},${b.url}`, PHI_3_MINI_EFFICIENCY_MODE: 'false' },
    });
    url = server.models[0].url;
  }, 30_000);

  afterEach(async () => {
    await server?.stop();
    await a?.close();
    await b?.close();
  });

  const upstream = (u: string) => server.models[0].service.engine.upstreams().find((x) => x.url === u)!;

  it('names the open replica in /health (degraded, still ready), and routes to it when the other dies', async () => {
    a.setFaults({ errorRate: 1, errorStatus: 500 });
    for (let i = 0; i < 12; i++) await completeAt(url);
    expect(upstream(a.url).circuit).toBe('open');
    const served = a.stats().completed;
    for (let i = 0; i < 5; i++) expect((await completeAt(url)).status).toBe(200);
    expect(a.stats().completed).toBe(served);
    const health = await getJson<Health>(`${url}/health`);
    expect(health).toMatchObject({ status: 200, body: { status: 'degraded', degraded: 'circuit_open' } });
    expect(health.body.reason).toContain(a.url);
    expect(health.body.reason).not.toContain(b.url);
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);

    // a recovers but its circuit is still open; b dies. a is all that is left and answers: it
    // takes the calls (the retry of the call b refused included) instead of the model going dark.
    a.setFaults({ errorRate: 0 });
    await b.close();
    for (let i = 0; i < 5; i++) expect((await completeAt(url)).status).toBe(200);
    expect(upstream(b.url).up).toBe(false);
  });
});
