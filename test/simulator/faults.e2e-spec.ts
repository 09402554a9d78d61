/**
 * Fault injection: error rate, slow start, hang (vLLM's: headers then nothing), hang-before-headers
 * (a stuck proxy's), die-after, fail-after (vLLM's mid-stream error: the error event then [DONE],
 * as serving_chat.py's and serving_completion.py's stream generators end), stall-after (K tokens,
 * then nothing while the request stays running), engine dead, and the X-Sim-Fault header.
 */
import type { RunningSimulator } from '../../src/simulator/types';
import { chatBody, get, metricValue, openRequest, post, SERVED, startTestSimulator, waitFor } from './helpers';

describe('faults', () => {
  let sim: RunningSimulator;
  beforeEach(async () => {
    sim = await startTestSimulator();
  });
  afterEach(() => sim.close());

  it.each([
    [429, 'RateLimitError'],
    [500, 'InternalServerError'],
    [503, 'ServiceUnavailableError'],
  ] as const)('error rate 1.0 answers every generation request with %i', async (status, type) => {
    sim.setFaults({ errorRate: 1, errorStatus: status });
    for (const stream of [false, true]) {
      const r = await post(sim.url, '/v1/chat/completions', chatBody('x', { stream }));
      expect(r.status).toBe(status);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.json).toEqual({ error: { message: expect.any(String), type, param: null, code: status } });
    }
    const c = await post(sim.url, '/v1/completions', { prompt: 'x' });
    expect(c.status).toBe(status);
    // Only generation is affected.
    expect((await get(sim.url, '/health')).status).toBe(200);
    expect((await get(sim.url, '/v1/models')).status).toBe(200);
  });

  it('slow start: /health and generation answer 503, then 200', async () => {
    await sim.close();
    sim = await startTestSimulator({ faults: { slowStartSeconds: 0.3 } });
    expect((await get(sim.url, '/health')).status).toBe(503);
    const r = await post(sim.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe(503);
    await waitFor(async () => (await get(sim.url, '/health')).status === 200, 'health 200 after slow start');
    expect((await post(sim.url, '/v1/chat/completions', chatBody('x', { max_tokens: 2 }))).status).toBe(200);
  });

  it('hang (as vLLM hangs): a stream gets 200 and SSE headers at once, then nothing; non-streaming gets nothing; aborts count; close stays clean', async () => {
    sim.setFaults({ hang: true });
    const o = openRequest(sim.url, '/v1/chat/completions', chatBody('x', { stream: true }));
    const res = await o.response;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    await new Promise((r) => setTimeout(r, 100));
    expect(o.received()).toBe('');
    o.req.destroy();
    await waitFor(() => sim.stats().aborted === 1, 'hang abort counted');

    let answered = false;
    const plain = openRequest(sim.url, '/v1/completions', { prompt: 'x' });
    plain.response.then(() => (answered = true), () => undefined);
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toBe(false);
    // This hanging request is still open when the server closes.
  });

  it('hang-before-headers (a stuck proxy): a stream gets no status line at all', async () => {
    sim.setFaults({ hangBeforeHeaders: true });
    let answered = false;
    const o = openRequest(sim.url, '/v1/chat/completions', chatBody('x', { stream: true }));
    o.response.then(() => (answered = true), () => undefined);
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toBe(false);
    o.req.destroy();
    await waitFor(() => sim.stats().aborted === 1, 'hang abort counted');
  });

  it('fail-after-K mid-stream: K token chunks, then the error event and [DONE] (chat and completions); non-streaming: 500', async () => {
    sim.setFaults({ failAfterTokens: 3 });
    for (const [path, body] of [
      ['/v1/chat/completions', chatBody('x', { stream: true, max_tokens: 50, ignore_eos: true })],
      ['/v1/completions', { prompt: 'x', stream: true, max_tokens: 50, ignore_eos: true }],
    ] as const) {
      const o = openRequest(sim.url, path, body);
      expect(await o.finished).toBe('end');
      const events = o.received().split('\n\n').filter((e) => e.startsWith('data: '));
      expect(events[events.length - 1]).toBe('data: [DONE]');
      // create_streaming_error_response: json.dumps of ErrorResponse (Python's separators).
      expect(events[events.length - 2]).toBe(
        'data: {"error": {"message": "EngineCore encountered an issue. See stack trace (above) for the root cause.", "type": "BadRequestError", "param": null, "code": 400}}',
      );
      const tokens = events.filter((e) => e.includes('"finish_reason":null') && !e.includes('"role"'));
      expect(tokens).toHaveLength(3);
    }
    const r = await post(sim.url, '/v1/completions', { prompt: 'x', max_tokens: 20, ignore_eos: true });
    expect(r.status).toBe(500);
    expect(r.json.error).toMatchObject({ code: 500, type: 'Internal Server Error', message: expect.stringMatching(/^EngineCore encountered an issue/) });
  });

  it('die-after-K mid-stream: K token chunks, then the connection drops without [DONE]', async () => {
    sim.setFaults({ dieAfterTokens: 3 });
    const o = openRequest(sim.url, '/v1/chat/completions', chatBody('x', { stream: true, max_tokens: 50, ignore_eos: true }));
    expect(await o.finished).toBe('error');
    const text = o.received();
    expect(text).not.toContain('[DONE]');
    const tokenChunks = text.split('\n\n').filter((b) => b.includes('"content":"') && !b.includes('"role"'));
    expect(tokenChunks).toHaveLength(3);
    await waitFor(() => sim.stats().aborted === 1, 'abort counted');

    const plain = openRequest(sim.url, '/v1/completions', { prompt: 'x', max_tokens: 50, ignore_eos: true });
    await expect(plain.response).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it('stall-after-K: K tokens, then nothing while the request stays running until the client leaves (chat, completions, Responses; streamed and not; by setting and by header)', async () => {
    const running = async () => metricValue((await get(sim.url, '/metrics')).text, 'vllm:num_requests_running', { model_name: SERVED });
    const cases: Array<[string, Record<string, unknown>, boolean]> = [
      ['/v1/chat/completions', chatBody('x', { stream: true, max_tokens: 50, ignore_eos: true }), true],
      ['/v1/completions', { prompt: 'x', stream: true, max_tokens: 50, ignore_eos: true }, true],
      ['/v1/responses', { model: SERVED, input: 'x', stream: true, max_output_tokens: 50 }, true],
      ['/v1/chat/completions', chatBody('x', { max_tokens: 50, ignore_eos: true }), false],
      ['/v1/responses', { model: SERVED, input: 'x', max_output_tokens: 50 }, false],
    ];
    for (const [index, [path, body, stream]] of cases.entries()) {
      const bySetting = index % 2 === 0;
      sim.setFaults({ stallAfterTokens: bySetting ? 2 : 0 });
      const o = openRequest(sim.url, path, body, bySetting ? {} : { 'x-sim-fault': 'stall-after-2' });
      await waitFor(async () => (await running()) === 1, `${path} running`);
      if (stream) {
        // Two token events arrive, and no more: the request stays running.
        const tokens = () => o.received().split('\n\n').filter((e) => /"(content|text|delta)":"[^"]/.test(e) && !e.includes('"role"')).length;
        await waitFor(() => tokens() === 2, `${path}: two token events`);
        expect(o.received()).not.toContain('[DONE]');
        expect(o.received()).not.toContain('response.completed');
      }
      expect(await running()).toBe(1);
      o.req.destroy();
      await waitFor(async () => (await running()) === 0, `${path}: the stalled request aborted`);
    }
  });

  it('engine dead: 503 everywhere, /health 503; /metrics and /admin/faults still answer; revivable', async () => {
    const dead = await post(sim.url, '/admin/faults', { engineDead: true });
    expect(dead.json.engineDead).toBe(true);
    expect((await get(sim.url, '/health')).status).toBe(503);
    for (const [method, path] of [
      ['POST', '/v1/chat/completions'],
      ['POST', '/v1/completions'],
      ['GET', '/v1/models'],
      ['GET', '/version'],
    ]) {
      const r = method === 'GET' ? await get(sim.url, path) : await post(sim.url, path, chatBody('x'));
      expect(r.status).toBe(503);
      expect(r.json.error).toMatchObject({ code: 503, type: 'ServiceUnavailableError' });
    }
    expect((await get(sim.url, '/metrics')).status).toBe(200);
    await post(sim.url, '/admin/faults', { engineDead: false });
    expect((await get(sim.url, '/health')).status).toBe(200);
  });

  describe('X-Sim-Fault header', () => {
    it.each([
      ['error-429', 429],
      ['error-500', 500],
      ['error-503', 503],
    ])('%s answers %i for that request only', async (header, status) => {
      const r = await post(sim.url, '/v1/chat/completions', chatBody('x'), { 'x-sim-fault': header });
      expect(r.status).toBe(status);
      expect(r.json.error.code).toBe(status);
      expect((await post(sim.url, '/v1/chat/completions', chatBody('x', { max_tokens: 1 }))).status).toBe(200);
    });

    it('die-after-<K>, fail-after-<K>, hang and hang-before-headers apply to that request', async () => {
      const o = openRequest(sim.url, '/v1/completions', { prompt: 'x', stream: true, max_tokens: 20, ignore_eos: true }, {
        'x-sim-fault': 'die-after-2',
      });
      expect(await o.finished).toBe('error');
      expect(o.received().split('\n\n').filter((b) => b.startsWith('data: {'))).toHaveLength(2);

      const f = openRequest(sim.url, '/v1/completions', { prompt: 'x', stream: true, max_tokens: 20, ignore_eos: true }, {
        'x-sim-fault': 'fail-after-2',
      });
      expect(await f.finished).toBe('end');
      expect(f.received()).toMatch(/data: \{"error": .*\n\ndata: \[DONE\]\n\n$/);

      const h = openRequest(sim.url, '/v1/completions', { prompt: 'x', stream: true }, { 'x-sim-fault': 'hang' });
      expect((await h.response).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
      expect(h.received()).toBe('');
      h.req.destroy();

      let answered = false;
      const hb = openRequest(sim.url, '/v1/completions', { prompt: 'x', stream: true }, { 'x-sim-fault': 'hang-before-headers' });
      hb.response.then(() => (answered = true), () => undefined);
      await new Promise((r) => setTimeout(r, 50));
      expect(answered).toBe(false);
      hb.req.destroy();
    });

    it('slow-<ms> adds to the time to first token', async () => {
      const started = Date.now();
      const r = await post(sim.url, '/v1/completions', { prompt: 'x', max_tokens: 1 }, { 'x-sim-fault': 'slow-300' });
      expect(r.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250); // a lower bound only
      const m = (await get(sim.url, '/metrics')).text;
      expect(metricValue(m, 'vllm:time_to_first_token_seconds_sum', { model_name: SERVED })).toBeGreaterThanOrEqual(0.25);
    });

    it('an unknown fault is a 400', async () => {
      const r = await post(sim.url, '/v1/chat/completions', chatBody('x'), { 'x-sim-fault': 'explode' });
      expect(r.status).toBe(400);
      expect(r.json.error.message).toMatch(/X-Sim-Fault/);
    });
  });
});
