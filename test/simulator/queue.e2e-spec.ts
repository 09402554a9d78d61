/** The capacity model: max_num_seqs, the waiting queue and its bound, aborts on disconnect, backpressure. */
import type { RunningSimulator } from '../../src/simulator/types';
import { chatBody, get, metricValue, openRequest, OpenRequest, post, SERVED, startTestSimulator, testModel, waitFor } from './helpers';

const LABELS = { model_name: SERVED };

async function gauge(sim: RunningSimulator, name: string): Promise<number | undefined> {
  return metricValue((await get(sim.url, '/metrics')).text, name, LABELS);
}

describe('queue and aborts', () => {
  let sim: RunningSimulator;
  const open: OpenRequest[] = [];
  // Slow enough that a 500-token stream stays in flight while the test looks at it.
  beforeEach(async () => {
    sim = await startTestSimulator({
      instant: false,
      models: [testModel({ maxNumSeqs: 2 }, { ttftBaseMs: 0, itlBaseMs: 20, maxWaiting: 2 })],
    });
  });
  afterEach(async () => {
    for (const o of open.splice(0)) o.req.destroy();
    await sim.close();
  });

  const longStream = () => {
    const o = openRequest(sim.url, '/v1/chat/completions', chatBody('long', { max_tokens: 500, ignore_eos: true, stream: true }));
    open.push(o);
    return o;
  };

  it('runs max_num_seqs requests, queues the rest (visible in /metrics and stats), 503 past the bound', async () => {
    const first = [longStream(), longStream()];
    await waitFor(() => sim.stats().running === 2, 'two running');
    const queued = [longStream(), longStream()];
    await waitFor(() => sim.stats().waiting === 2, 'two waiting');
    expect(sim.stats()).toMatchObject({ running: 2, waiting: 2 });
    expect(await gauge(sim, 'vllm:num_requests_running')).toBe(2);
    expect(await gauge(sim, 'vllm:num_requests_waiting')).toBe(2);
    expect(await gauge(sim, 'vllm:kv_cache_usage_perc')).toBeGreaterThan(0);

    const refused = await post(sim.url, '/v1/chat/completions', chatBody('one too many', { stream: true }));
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toBe('application/json');
    expect(refused.json.error).toMatchObject({ type: 'ServiceUnavailableError', code: 503, param: null });
    expect(refused.json.error.message).toMatch(/2 requests are already waiting/);

    // Queued requests already have their SSE headers but no tokens yet.
    await Promise.all(queued.map((q) => q.response));
    expect(queued.every((q) => q.received() === '')).toBe(true);
    await waitFor(() => first.every((f) => f.received().includes('"content"')), 'tokens on running streams');
  });

  it('a client leaving while waiting leaves the queue at once', async () => {
    longStream();
    longStream();
    const waiting = longStream();
    await waitFor(() => sim.stats().waiting === 1, 'one waiting');
    waiting.req.destroy();
    await waitFor(() => sim.stats().aborted === 1, 'abort counted');
    expect(sim.stats()).toMatchObject({ running: 2, waiting: 0, aborted: 1 });
    expect(await gauge(sim, 'vllm:num_requests_waiting')).toBe(0);
  });

  it('a client leaving while decoding frees its slot for the next waiting request', async () => {
    const a = longStream();
    longStream();
    const c = longStream();
    await waitFor(() => a.received().includes('"content"') && sim.stats().waiting === 1, 'decoding started, one waiting');
    expect(sim.stats()).toMatchObject({ running: 2, waiting: 1 });
    a.req.destroy();
    await waitFor(() => sim.stats().aborted === 1 && sim.stats().waiting === 0, 'abort and promotion');
    expect(sim.stats().running).toBe(2);
    await waitFor(() => c.received().includes('"content"'), 'the waiting stream started');
    const m = (await get(sim.url, '/metrics')).text;
    expect(metricValue(m, 'vllm:request_success_total', { ...LABELS, finished_reason: 'abort' })).toBe(1);
  });

  it('a client leaving during prefill aborts before the first token', async () => {
    await sim.close();
    sim = await startTestSimulator({ instant: false, models: [testModel({}, { ttftBaseMs: 60_000 })] });
    const o = openRequest(sim.url, '/v1/completions', { prompt: 'slow prefill', max_tokens: 5 });
    open.push(o);
    await waitFor(() => sim.stats().running === 1, 'prefill started');
    o.req.destroy();
    await waitFor(() => sim.stats().aborted === 1, 'abort counted');
    expect(sim.stats()).toMatchObject({ running: 0, waiting: 0, completed: 0 });
    expect(await gauge(sim, 'vllm:num_requests_running')).toBe(0);
  });

  it('a non-streaming request that loses its client stops generating', async () => {
    const o = openRequest(sim.url, '/v1/completions', { prompt: 'x', max_tokens: 500, ignore_eos: true });
    open.push(o);
    await waitFor(async () => ((await gauge(sim, 'vllm:generation_tokens_total')) ?? 0) > 2, 'tokens generated');
    o.req.destroy();
    await waitFor(() => sim.stats().aborted === 1, 'abort counted');
    const after = await gauge(sim, 'vllm:generation_tokens_total');
    await new Promise((r) => setTimeout(r, 80));
    expect(await gauge(sim, 'vllm:generation_tokens_total')).toBe(after);
    expect(sim.stats().running).toBe(0);
  });
});

describe('backpressure', () => {
  it('pauses a stream whose client does not read, and finishes once it reads', async () => {
    const sim = await startTestSimulator({ models: [testModel({ maxModelLen: 200_000 })] });
    try {
      // 20 choices × 3000 tokens ≈ 11 MB of SSE: more than the socket buffers can hold.
      const body = { prompt: 'x', n: 20, max_tokens: 3000, ignore_eos: true, stream: true };
      const o = openRequest(sim.url, '/v1/completions', body);
      const res = await o.response;
      res.pause();
      const generated = async () => metricValue((await get(sim.url, '/metrics')).text, 'vllm:generation_tokens_total', LABELS);
      // Instant mode would be done in a moment; a reader that does not read must hold it up:
      // generation stalls (two samples 100 ms apart agree) before all 60k tokens exist.
      let held = -1;
      await waitFor(async () => {
        const before = await generated();
        await new Promise((r) => setTimeout(r, 100));
        held = (await generated()) ?? -1;
        return held === before;
      }, 'generation to stall');
      expect(held).toBeLessThan(60_000);
      expect(sim.stats()).toMatchObject({ running: 1, completed: 0 });
      res.resume();
      expect(await o.finished).toBe('end');
      expect(o.received().endsWith('data: [DONE]\n\n')).toBe(true);
      expect(o.received().split('"text"').length - 1).toBe(60_000);
      expect(sim.stats()).toMatchObject({ running: 0, completed: 1 });
    } finally {
      await sim.close();
    }
  });
});
