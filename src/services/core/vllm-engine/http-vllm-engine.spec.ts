import { Readable } from 'node:stream';
import { EngineFailure } from './engine-failure';
import { HttpVllmEngine, HttpVllmEngineOptions } from './http-vllm-engine';

type Answer = { status: number; body?: string } | { error: string };
type PoolRequest = (options: { path: string; signal?: AbortSignal }) => Promise<unknown>;

/**
 * The engine with each replica's undici pool faked at `pool.request` (the only I/O it does):
 * replica `url` answers from `script[url]`, one entry per call, the last one repeating. No socket.
 */
function engine(script: Record<string, Answer[]>, overrides: Partial<HttpVllmEngineOptions> = {}) {
  const urls = Object.keys(script);
  const e = new HttpVllmEngine({
    model: 'test',
    urls,
    timeouts: { connectMs: 1000, firstByteMs: 1000, firstTokenMs: 1000, idleMs: 1000 },
    retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0, budgetRatio: 0.2 },
    breaker: { failureThreshold: 3, openMs: 60_000 },
    healthCheckIntervalSeconds: 0,
    ...overrides,
  });
  const hits: string[] = [];
  const replicas = (e as unknown as { replicas: { url: string; pool: { request: PoolRequest } }[] }).replicas;
  for (const replica of replicas) {
    const answers = script[replica.url];
    let n = 0;
    replica.pool.request = async () => {
      hits.push(replica.url);
      const answer = answers[Math.min(n++, answers.length - 1)];
      if ('error' in answer) throw Object.assign(new Error(answer.error), { code: answer.error });
      return { statusCode: answer.status, headers: { 'content-type': 'application/json' }, body: Readable.from([Buffer.from(answer.body ?? '{}')]) };
    };
  }
  return { engine: e, hits };
}

const call = (signal = new AbortController().signal) => ({ method: 'POST' as const, path: '/v1/completions', body: '{}', signal });
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as EngineFailure);

describe('HttpVllmEngine (replicas, retries, breaker)', () => {
  it('sends to the available replica with the fewest requests in flight', async () => {
    const { engine: e, hits } = engine({ 'http://a': [{ status: 200 }], 'http://b': [{ status: 200 }] });
    const first = await e.call(call());
    // `a` still has a request in flight (its body not read): the next goes to `b`.
    await e.call(call());
    expect(hits).toEqual(['http://a', 'http://b']);
    first.body.resume();
    await e.close();
  });

  it('sends a call naming its replica (a stored response) there, even when another is less busy, with no retry elsewhere', async () => {
    const { engine: e, hits } = engine({ 'http://a': [{ status: 200 }], 'http://b': [{ status: 503 }] });
    const busy = await e.call(call());
    expect(hits).toEqual(['http://a']);
    // `b` is idle, but the call names `b`: it goes there, and its 503 is the answer (no retry on `a`).
    const pinned = await e.call({ ...call(), replica: 'http://b' });
    expect(pinned.status).toBe(503);
    expect(hits).toEqual(['http://a', 'http://b']);
    busy.body.resume();
    pinned.body.resume();
    await e.close();
  });

  it('a named replica that refuses connections or is unknown: the call goes where any call would (the others answer for a missing response)', async () => {
    const { engine: e, hits } = engine({ 'http://a': [{ status: 200 }], 'http://b': [{ error: 'ECONNREFUSED' }] });
    expect((await e.call({ ...call(), replica: 'http://b' })).status).toBe(200);
    expect(hits).toEqual(['http://b', 'http://a']);
    // Now known down, and an unknown one: straight to the replica the engine picks.
    expect((await e.call({ ...call(), replica: 'http://b' })).status).toBe(200);
    expect((await e.call({ ...call(), replica: 'http://gone' })).status).toBe(200);
    expect(hits).toEqual(['http://b', 'http://a', 'http://a', 'http://a']);
    await e.close();
  });

  it('retries a refused connection on another replica and marks the first down', async () => {
    const { engine: e, hits } = engine({ 'http://a': [{ error: 'ECONNREFUSED' }], 'http://b': [{ status: 200 }] });
    const reply = await e.call(call());
    expect(reply.status).toBe(200);
    expect(hits).toEqual(['http://a', 'http://b']);
    expect(e.upstreams().find((u) => u.url === 'http://a')).toMatchObject({ up: false, lastError: expect.stringMatching(/ECONNREFUSED/) });
    await e.close();
  });

  it('retries a 503 answer (nothing generated) and stops at maxAttempts, giving the last answer', async () => {
    const { engine: e, hits } = engine({ 'http://a': [{ status: 503 }] }, { retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0, budgetRatio: 0.2 } });
    const reply = await e.call(call());
    expect(reply.status).toBe(503);
    expect(hits).toHaveLength(2);
    await e.close();
  });

  it('never retries once an answer exists: a 200 or a 400 is the answer, whatever follows in its body', async () => {
    const { engine: e, hits } = engine({ 'http://a': [{ status: 400, body: '{"error":{}}' }], 'http://b': [{ status: 200 }] });
    expect((await e.call(call())).status).toBe(400);
    expect(hits).toEqual(['http://a']);
    await e.close();
  });

  it('does not retry a timeout (the engine may be working on it)', async () => {
    const { engine: e, hits } = engine({ 'http://a': [{ error: 'UND_ERR_HEADERS_TIMEOUT' }], 'http://b': [{ status: 200 }] });
    expect(await failure(e.call(call()))).toMatchObject({ kind: 'timeout' });
    expect(hits).toEqual(['http://a']);
    await e.close();
  });

  it('spends retries from a budget: once it is empty, failures are not retried', async () => {
    // A reserve of 10 retries; at ratio 0 no request earns more.
    // 429: retryable, and not a failure for the breaker.
    const { engine: e, hits } = engine({ 'http://a': [{ status: 429 }] }, { retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0, budgetRatio: 0 } });
    for (let i = 0; i < 12; i++) (await e.call(call())).body.resume();
    // 12 first attempts, and 10 retries before the budget ran dry.
    expect(hits).toHaveLength(22);
    await e.close();
  });

  it('opens a replica’s circuit after failureThreshold failures in a row; alone and answering, it still gets the calls (never nothing to try)', async () => {
    const { engine: e, hits } = engine({ 'http://a': [{ status: 500 }] }, { breaker: { failureThreshold: 2, openMs: 60_000 } });
    (await e.call(call())).body.resume();
    (await e.call(call())).body.resume();
    expect(e.upstreams()[0].circuit).toBe('open');
    // Open, but it is the only replica and it answers: the call reaches it and gets its answer
    // (the rest of the breaker's rules: test/reliability/engine-breaker.e2e-spec.ts).
    const third = await e.call(call());
    expect(third.status).toBe(500);
    third.body.resume();
    expect(hits).toHaveLength(3);
    expect(e.upstreams()[0].circuit).toBe('open');
    await e.close();
  });

  it('reports an aborted call as aborted, not as the engine’s fault', async () => {
    const { engine: e } = engine({ 'http://a': [{ error: 'UND_ERR_ABORTED' }] });
    const abort = new AbortController();
    abort.abort();
    expect(await failure(e.call(call(abort.signal)))).toMatchObject({ kind: 'aborted' });
    expect(e.upstreams()[0]).toMatchObject({ up: true, circuit: 'closed' });
    await e.close();
  });

  it.each([
    ['the server shutting down (ShuttingDown)', 'SHUTTING_DOWN'],
    ['a stream gone idle', 'IDLE'],
    ['a plain reason with no code', ''],
  ])('reports a call aborted with a reason of its own (%s) as aborted: undici rejects with the reason, whatever it is, and it is never the engine’s fault', async (_, code) => {
    const { engine: e } = engine({ 'http://a': [{ error: code }] }, { breaker: { failureThreshold: 1, openMs: 60_000 } });
    const abort = new AbortController();
    abort.abort(Object.assign(new Error('ours'), { code }));
    expect(await failure(e.call(call(abort.signal)))).toMatchObject({ kind: 'aborted' });
    expect(e.upstreams()[0]).toMatchObject({ up: true, circuit: 'closed' });
    await e.close();
  });
});
