import { request } from 'node:http';
import OpenAI from 'openai';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { engineMetric, hangingRequests, resetEngine, setFaults, waitFor } from '../support/engine-control';
import { readSse } from '../support/sse';
import { startCitadel } from '../support/start-citadel';

/**
 * Streaming through a model port with the simulator at its configured (H100-like) speed, so a
 * stream lasts long enough to be interrupted. Openchat's cap is lowered to 2 streams.
 */
describe('SSE streaming', () => {
  let server: ServiceOrchestrator;
  let url: string;
  let engine: string;

  beforeAll(async () => {
    server = await startCitadel({ only: ['openchat-3.5'], simulatorArgs: ['--speed', '4'], env: { OPENCHAT_3_5_CONCURRENT_USERS: '2' } });
    url = server.models[0].url;
    engine = server.models[0].engineUrls[0];
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  afterEach(() => resetEngine(engine));

  const body = (extra: Record<string, unknown> = {}) => JSON.stringify({ messages: [{ role: 'user', content: 'Streaming test' }], max_tokens: 40, stream: true, ...extra });

  it('sends SSE headers at once, every event, and [DONE] last', async () => {
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('content-encoding')).toBeNull();
    const events = await readSse(res);
    expect(events[events.length - 1]).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.some((c) => c.choices[0]?.finish_reason)).toBe(true);
  });

  it('relays vLLM\'s JSON refusal of a bad stream as that status, not as a 200 stream', async () => {
    const res = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'word '.repeat(5000), max_tokens: 10, stream: true }) });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const json = (await res.json()) as { error: { message: string } };
    expect(json.error.message).toMatch(/maximum context length/);
  });

  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    const done = new Promise<void>((resolve, reject) => {
      const req = request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.once('data', () => {
          // Streaming has begun: the engine runs the request. Now leave.
          engineMetric(engine, 'vllm:num_requests_running')
            .then((running) => {
              expect(running).toBe(1);
              req.destroy();
              resolve();
            })
            .catch(reject);
        });
      });
      req.on('error', () => undefined);
      req.end(body({ max_tokens: 2000, ignore_eos: true }));
    });
    await done;
    await waitFor(async () => (await engineMetric(engine, 'vllm:num_requests_running')) === 0, 5_000, 'the engine to drop the aborted request');
  });

  it('aborts the upstream request when the client disconnects mid-stream from a Responses stream (the same forwarding path)', async () => {
    // vLLM's Responses API has no ignore_eos, so a random answer may end within milliseconds: the
    // engine stalls after 3 tokens instead, keeping the request running until someone leaves.
    await setFaults(engine, { stallAfterTokens: 3 });
    await new Promise<void>((resolve, reject) => {
      const req = request(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let received = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          received += chunk;
          if (!received.includes('response.output_text.delta')) return;
          res.removeAllListeners('data');
          engineMetric(engine, 'vllm:num_requests_running')
            .then((running) => {
              expect(running).toBe(1);
              req.destroy();
              resolve();
            })
            .catch(reject);
        });
      });
      req.on('error', () => undefined);
      req.end(JSON.stringify({ input: 'Streaming test', max_output_tokens: 2000, stream: true }));
    });
    await waitFor(async () => (await engineMetric(engine, 'vllm:num_requests_running')) === 0, 5_000, 'the engine to drop the aborted request');
  });

  it('aborts the upstream request when the client leaves before the first byte', async () => {
    // An engine (or a proxy in front of it) that has not even sent its headers.
    await setFaults(engine, { hangBeforeHeaders: true });
    const req = request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => undefined);
    req.end(body());
    // The hang fault holds the request before vLLM's scheduler (its gauges stay 0), so the
    // simulator's own count says when the request has reached the engine.
    const before = await hangingRequests(engine);
    await waitFor(async () => (await hangingRequests(engine)).hanging >= 1, 5_000, 'the request to reach the engine');
    req.destroy();
    // The client left before any byte: the gateway must close the engine request too.
    await waitFor(async () => {
      const now = await hangingRequests(engine);
      return now.hanging === 0 && now.aborted === before.aborted + 1;
    }, 5_000, 'the hung request to be dropped');
  });

  it('aborts the upstream request when the client leaves after the engine\'s headers, before the first token (a stuck vLLM)', async () => {
    // vLLM sends 200 and its SSE headers at once; a stuck one then sends nothing.
    await setFaults(engine, { hang: true });
    const before = await hangingRequests(engine);
    const req = request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => undefined);
    req.end(body());
    await waitFor(async () => (await hangingRequests(engine)).hanging >= 1, 5_000, 'the request to reach the engine');
    req.destroy();
    await waitFor(async () => {
      const now = await hangingRequests(engine);
      return now.hanging === 0 && now.aborted === before.aborted + 1;
    }, 5_000, 'the hung request to be dropped');
  });

  it('ends the client\'s stream with an error event then [DONE] when the engine dies mid-stream', async () => {
    await setFaults(engine, { dieAfterTokens: 3 });
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body() });
    expect(res.status).toBe(200);
    const events = await readSse(res);
    expect(events[events.length - 1]).toBe('[DONE]');
    const error = JSON.parse(events[events.length - 2]);
    expect(error.error.message).toMatch(/closed the stream/);
    // The SDK raises on it instead of handing back a truncated answer.
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'openchat-3.5', messages: [{ role: 'user', content: 'x' }], max_tokens: 40, stream: true });
    await expect(
      (async () => {
        for await (const _ of stream) void _;
      })(),
    ).rejects.toThrow(/closed the stream/);
  });

  it('caps concurrent streams at concurrent_users with 429 and Retry-After', async () => {
    const open = [0, 1].map(() => new AbortController());
    const streams = await Promise.all(open.map((c) => fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body({ max_tokens: 2000, ignore_eos: true }), signal: c.signal })));
    expect(streams.map((s) => s.status)).toEqual([200, 200]);
    const third = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body() });
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await third.json()) as { error: { type: string } }).error.type).toBe('rate_limit_exceeded');
    // Non-streaming requests are not streams: they pass.
    const plain = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body({ stream: false, max_tokens: 2 }) });
    expect(plain.status).toBe(200);
    open.forEach((c) => c.abort());
    await Promise.all(streams.map((s) => s.body?.cancel().catch(() => undefined)));
    await waitFor(async () => (await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body({ max_tokens: 1 }) })).status === 200, 5_000, 'the cap to free up');
  });
});
