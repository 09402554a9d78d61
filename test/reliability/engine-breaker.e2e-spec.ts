import { buildConnector } from 'undici';
import { MetricsRegistry } from '../../src/monitoring/metrics-registry';
import { INSTANT_PROFILE } from '../../src/simulator/profiles';
import { startSimulator } from '../../src/simulator/sim-server';
import { RunningSimulator } from '../../src/simulator/types';
import { EngineFailure, LOCAL_RESOURCE_ERRORS } from '../../src/services/core/vllm-engine/engine-failure';
import { HttpVllmEngine, HttpVllmEngineOptions } from '../../src/services/core/vllm-engine/http-vllm-engine';
import { readBody } from '../../src/services/core/vllm-engine/read-body';

/**
 * HttpVllmEngine against simulated vLLM servers on loopback: the circuit breaker's rules as
 * calls see them, and local resource errors injected where undici opens sockets.
 */
const MODEL = { id: 'm', servedName: 'org/m', maxModelLen: 2048, maxNumSeqs: 64, profile: INSTANT_PROFILE };
const startSim = (port = 0) => startSimulator({ models: [MODEL], instant: true }, { port, host: '127.0.0.1' });
const BODY = JSON.stringify({ model: 'org/m', prompt: 'hello', max_tokens: 2 });

/** Probing "on" (a long interval the test never waits for; it calls probe() itself) or off. */
const PROBES_ON = 3600;

function makeEngine(urls: string[], options: Partial<HttpVllmEngineOptions> = {}): HttpVllmEngine {
  return new HttpVllmEngine({
    model: 'phi-3-mini',
    urls,
    timeouts: { connectMs: 2_000, firstByteMs: 10_000, firstTokenMs: 10_000, idleMs: 10_000 },
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, budgetRatio: 0.2 },
    breaker: { failureThreshold: 3, openMs: 60_000 },
    healthCheckIntervalSeconds: PROBES_ON,
    ...options,
  });
}

/** One completion: its status, or the EngineFailure. */
async function complete(engine: HttpVllmEngine, signal = new AbortController().signal): Promise<number | EngineFailure> {
  try {
    const reply = await engine.call({ method: 'POST', path: '/v1/completions', body: BODY, signal });
    await readBody(reply.body);
    return reply.status;
  } catch (error) {
    if (error instanceof EngineFailure) return error;
    throw error;
  }
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 5_000;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const state = (engine: HttpVllmEngine, url: string) => engine.upstreams().find((u) => u.url === url)!;

describe('HttpVllmEngine: the circuit breaker', () => {
  const sims: RunningSimulator[] = [];
  let engine: HttpVllmEngine | undefined;
  const sim = async (port = 0) => {
    const s = await startSim(port);
    sims.push(s);
    return s;
  };

  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });

  it('counts a crash with 10 calls in flight as one failure event', async () => {
    const a = await sim();
    engine = makeEngine([a.url]);
    a.setFaults({ hang: true });
    const calls = Array.from({ length: 10 }, () => complete(engine!));
    await waitFor(() => engine!.activity().inFlight === 10, 'ten calls in flight');
    // (The hang fault holds them without counting them in the engine's stats; let them arrive.)
    await new Promise((r) => setTimeout(r, 100));
    await a.close();
    const outcomes = await Promise.all(calls);
    expect(outcomes.every((o) => o instanceof EngineFailure && (o.kind === 'reset' || o.kind === 'connect'))).toBe(true);
    expect(state(engine, a.url)).toMatchObject({ up: false, circuit: 'closed', failures: 1 });
  });

  it('keeps routing to the only replica while its circuit is open and its probes pass; a success in flight does not close it, the trial after a passing probe does', async () => {
    const a = await sim();
    engine = makeEngine([a.url]);
    a.setFaults({ errorRate: 1, errorStatus: 500 });
    for (let i = 0; i < 3; i++) expect(await complete(engine)).toBe(500);
    expect(state(engine, a.url).circuit).toBe('open');
    // Open, but the engine is all there is and answers: calls still reach it (the engine's own 500).
    expect(await complete(engine)).toBe(500);
    a.setFaults({ errorRate: 0 });
    // A call that was not the trial succeeds: the circuit stays open (no flapping).
    expect(await complete(engine)).toBe(200);
    expect(state(engine, a.url).circuit).toBe('open');
    await engine.probe();
    expect(state(engine, a.url).circuit).toBe('half_open');
    expect(await complete(engine)).toBe(200);
    expect(state(engine, a.url)).toMatchObject({ circuit: 'closed', failures: 0 });
  });

  // A Gateway API Inference Extension InferencePool's gateway sheds load with 429 and 503, and
  // vLLM answers 503 while it loads: back-pressure, not a dead replica.
  it.each([429, 503] as const)('takes %i answers as back-pressure: the replica stays up, its circuit closed and its failure count where it was; a 500 still counts', async (status) => {
    const a = await sim();
    engine = makeEngine([a.url]);
    a.setFaults({ errorRate: 1, errorStatus: 500 });
    expect(await complete(engine)).toBe(500);
    expect(state(engine, a.url)).toMatchObject({ circuit: 'closed', failures: 1 });
    a.setFaults({ errorRate: 1, errorStatus: status });
    // Twice the threshold: not one of them is counted.
    for (let i = 0; i < 6; i++) expect(await complete(engine)).toBe(status);
    expect(state(engine, a.url)).toMatchObject({ up: true, circuit: 'closed', failures: 1 });
    a.setFaults({ errorRate: 1, errorStatus: 500 });
    for (let i = 0; i < 2; i++) expect(await complete(engine)).toBe(500);
    expect(state(engine, a.url)).toMatchObject({ up: true, circuit: 'open', failures: 3 });
  });

  it('asks /health at once after a 503: a dead engine (503 to calls and to /health) is marked down without waiting for the next probe, its circuit untouched', async () => {
    const a = await sim();
    engine = makeEngine([a.url]);
    a.setFaults({ engineDead: true });
    expect(await complete(engine)).toBe(503);
    await waitFor(() => !state(engine!, a.url).up, 'the replica to be marked down by its /health');
    expect(state(engine, a.url)).toMatchObject({ circuit: 'closed', failures: 0, lastError: '/health answered 503' });
    expect(await complete(engine)).toMatchObject({ kind: 'unavailable' });
  });

  it('with two replicas, a 503 from one is retried on the other before the first byte, and neither circuit moves', async () => {
    const a = await sim();
    const b = await sim();
    engine = makeEngine([a.url, b.url], { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, budgetRatio: 1 } });
    a.setFaults({ errorRate: 1, errorStatus: 503 });
    for (let i = 0; i < 6; i++) expect(await complete(engine)).toBe(200);
    for (const url of [a.url, b.url]) expect(state(engine, url)).toMatchObject({ up: true, circuit: 'closed', failures: 0 });
  });

  it('with two replicas, sends nothing to the open one while the other is available, and everything to it (panic) once the other is down', async () => {
    const a = await sim();
    const b = await sim();
    engine = makeEngine([a.url, b.url], { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, budgetRatio: 1 } });
    a.setFaults({ errorRate: 1, errorStatus: 500 });
    // Least busy first: the calls alternate until a's circuit opens.
    for (let i = 0; i < 6; i++) await complete(engine);
    expect(state(engine, a.url).circuit).toBe('open');
    const before = a.stats().completed;
    for (let i = 0; i < 5; i++) expect(await complete(engine)).toBe(200);
    expect(a.stats().completed).toBe(before);

    a.setFaults({ errorRate: 0 });
    await b.close();
    // b refuses the call, is marked down, and the retry goes to a although its circuit is open:
    // a is all that is left and it answers (its probes would pass).
    expect(await complete(engine)).toBe(200);
    expect(state(engine, b.url).up).toBe(false);
    expect(state(engine, a.url).circuit).toBe('open');
    expect(await complete(engine)).toBe(200);
    expect(state(engine, a.url).circuit).toBe('open');
  });

  it('with probes on, answers "unavailable" once every replica is known down, without calling it', async () => {
    const a = await sim();
    engine = makeEngine([a.url]);
    await a.close();
    await engine.probe();
    const outcome = await complete(engine);
    expect(outcome).toBeInstanceOf(EngineFailure);
    expect((outcome as EngineFailure).kind).toBe('unavailable');
  });

  it('with probes off, tries the least recently failed replica, one call at a time, and a success closes its circuit', async () => {
    const a = await sim();
    const port = a.port;
    engine = makeEngine([a.url], { healthCheckIntervalSeconds: 0 });
    await a.close();
    for (let i = 0; i < 3; i++) expect((await complete(engine)) as EngineFailure).toMatchObject({ kind: 'connect' });
    expect(state(engine, a.url)).toMatchObject({ up: false, circuit: 'open' });
    await sim(port);
    // Nothing but a call can tell the replica is back: the call is its trial.
    expect(await complete(engine)).toBe(200);
    expect(state(engine, a.url)).toMatchObject({ up: true, circuit: 'closed' });
  });
});

describe('HttpVllmEngine: local resource errors are not the engine\'s', () => {
  const sims: RunningSimulator[] = [];
  let engine: HttpVllmEngine | undefined;

  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });

  /** undici's own connector, failing with `inject()` instead while it returns an error. */
  function failingConnector(inject: () => Error | undefined, opened: { count: number }) {
    return () => {
      const real = buildConnector({ timeout: 2_000 });
      const connector: buildConnector.connector = (options, callback) => {
        opened.count++;
        const error = inject();
        if (error) process.nextTick(callback, error, null);
        else real(options, callback);
      };
      return connector;
    };
  }

  const errno = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1`), { code, syscall: 'connect' });
  const wrappers: Array<[string, (code: string) => Error]> = [
    ['raised by connect(2)', errno],
    ['as the cause of another error', (code) => Object.assign(new Error('connection failed'), { cause: errno(code) })],
    ['inside an AggregateError (Happy Eyeballs)', (code) => new AggregateError([errno(code), errno(code)], 'all attempts failed')],
  ];
  const cases = [...LOCAL_RESOURCE_ERRORS].flatMap((code) => wrappers.map(([how, make]) => [code, how, make] as const));

  it.each(cases)('%s %s: a local failure, no retry, replicas stay up, breakers untouched, counted', async (code, _how, make) => {
    const a = await startSim();
    const b = await startSim();
    sims.push(a, b);
    let fault: Error | undefined = make(code);
    const opened = { count: 0 };
    engine = makeEngine([a.url, b.url], { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, budgetRatio: 1 }, connector: failingConnector(() => fault, opened) });
    const counter = MetricsRegistry.get().localResourceErrors;
    const before = (await counter.get()).values.find((v) => v.labels.code === code && v.labels.model === 'phi-3-mini')?.value ?? 0;

    for (let i = 0; i < 5; i++) {
      const outcome = await complete(engine);
      expect(outcome).toBeInstanceOf(EngineFailure);
      expect((outcome as EngineFailure).kind).toBe('local');
      expect((outcome as EngineFailure).message).toContain(code);
    }
    // Not retried on the other replica: it would lack the same resource.
    expect(opened.count).toBe(5);
    // A probe that cannot be made says nothing about the engine either.
    expect(await engine.probe()).toBe(true);
    for (const u of engine.upstreams()) expect(u).toMatchObject({ up: true, circuit: 'closed', failures: 0, lastError: undefined });
    const after = (await counter.get()).values.find((v) => v.labels.code === code && v.labels.model === 'phi-3-mini')?.value ?? 0;
    expect(after - before).toBe(5 + 2);

    fault = undefined;
    expect(await complete(engine)).toBe(200);
  });

  it('an engine\'s own refusal is still the engine\'s (the control case)', async () => {
    const a = await startSim();
    const url = a.url;
    await a.close();
    engine = makeEngine([url], { connector: failingConnector(() => undefined, { count: 0 }) });
    expect((await complete(engine)) as EngineFailure).toMatchObject({ kind: 'connect' });
    expect(engine.upstreams()[0]).toMatchObject({ up: false, failures: 1 });
  });
});
