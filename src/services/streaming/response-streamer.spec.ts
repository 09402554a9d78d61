import { PassThrough, Readable } from 'node:stream';
import { ShuttingDown } from '../../common/shutting-down';
import { EngineReply } from '../core/vllm-engine/vllm-engine';
import { RelayOptions, ResponseStreamer } from './response-streamer';
import { StreamOutcome } from './stream-outcome';

/** An engine's 200 SSE reply whose body is `body`; aborting the upstream destroys it, as undici does. */
function reply(body: Readable, upstreamAbort: AbortController): EngineReply {
  upstreamAbort.signal.addEventListener('abort', () => body.destroy(new Error('aborted')));
  return { status: 200, contentType: 'text/event-stream', headers: {}, body, upstream: 'fake', progress: jest.fn() };
}

/** Runs the relay to its end and collects what the client would be sent, and how it ended. */
async function relay(body: Readable, options: Partial<RelayOptions> = {}) {
  const upstreamAbort = options.upstreamAbort ?? new AbortController();
  const signal = options.signal ?? new AbortController().signal;
  const seen = { first: 0, writes: [] as [number, number][], usage: [] as unknown[], outcome: undefined as StreamOutcome | undefined };
  const upstream = reply(body, upstreamAbort);
  const out: string[] = [];
  for await (const bytes of new ResponseStreamer().relay(upstream, {
    signal,
    upstreamAbort,
    maxMergedEvents: options.maxMergedEvents ?? 16,
    firstEventTimeoutMs: options.firstEventTimeoutMs ?? 5_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 5_000,
    dropUsageChunk: options.dropUsageChunk,
    observer: {
      firstEvent: () => seen.first++,
      event: (bytes, events) => seen.writes.push([bytes, events]),
      usage: (u) => seen.usage.push(u),
      end: (o) => (seen.outcome = o),
    },
  })) {
    out.push(bytes.toString('utf8'));
  }
  return { out, seen, upstream, upstreamAbort };
}

const DONE = 'data: [DONE]\n\n';

describe('ResponseStreamer.relay', () => {
  it('hands on complete events only, however the upstream cut them, merging those already queued (at most maxMergedEvents)', async () => {
    const body = Readable.from([Buffer.from('data: {"a":1}\n\nda'), Buffer.from('ta: {"b":2}\n\ndata: {"c":3}\n\ndata: {"d":4}\n\n'), Buffer.from(DONE)]);
    const { out, seen, upstream } = await relay(body, { maxMergedEvents: 2 });
    expect(out).toEqual(['data: {"a":1}\n\n', 'data: {"b":2}\n\ndata: {"c":3}\n\n', 'data: {"d":4}\n\n', DONE]);
    expect(seen.first).toBe(1);
    expect(seen.writes.map(([, events]) => events)).toEqual([1, 2, 1, 1]);
    expect(seen.writes[1][0]).toBe(Buffer.byteLength('data: {"b":2}\n\ndata: {"c":3}\n\n'));
    expect(seen.outcome).toBe('completed');
    expect(upstream.progress).toHaveBeenCalledTimes(3);
  });

  it('reports the usage chunk and reads no further chunk after [DONE]', async () => {
    const usage = 'data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}\n\n';
    const { out, seen } = await relay(Readable.from([Buffer.from(`data: {"x":1}\n\n${usage}${DONE}`), Buffer.from('data: {"after":"done"}\n\n')]), { maxMergedEvents: 1 });
    expect(out).toEqual(['data: {"x":1}\n\n', usage, DONE]);
    expect(seen.usage).toEqual([{ prompt_tokens: 7, completion_tokens: 3 }]);
  });

  it('ends a stream the engine closed early with an in-band error event, then [DONE]', async () => {
    const { out, seen } = await relay(Readable.from([Buffer.from('data: {"a":1}\n\ndata: {"trunc')]));
    expect(out[0]).toBe('data: {"a":1}\n\n');
    expect(JSON.parse(out[1].split('\n')[0].slice(6))).toEqual({ error: { message: 'the model engine closed the stream before it was complete', type: 'upstream_error', param: null, code: 502 } });
    expect(out[1].endsWith(`\n\n${DONE}`)).toBe(true);
    expect(seen.outcome).toBe('upstream_failed');
  });

  it('ends a stream silent for idleTimeoutMs with a 504 error event, aborting the upstream', async () => {
    const body = new PassThrough();
    body.write('data: {"a":1}\n\n');
    const { out, seen, upstreamAbort } = await relay(body, { idleTimeoutMs: 50 });
    expect(upstreamAbort.signal.aborted).toBe(true);
    expect(out[0]).toBe('data: {"a":1}\n\n');
    expect(out[1]).toMatch(/^data: \{"error":\{"message":"the model engine sent nothing for 50 ms; the stream was ended","type":"timeout_error","param":null,"code":504\}\}\n\ndata: \[DONE\]\n\n$/);
    expect(seen.outcome).toBe('idle_timeout');
  });

  it('waits for the first event by the first-token budget, not the idle timeout (headers come before the first token)', async () => {
    const body = new PassThrough();
    setTimeout(() => body.end('data: {"a":1}\n\ndata: [DONE]\n\n'), 150);
    const { out, seen } = await relay(body, { firstEventTimeoutMs: 1_000, idleTimeoutMs: 50 });
    expect(out.join('')).toBe(`data: {"a":1}\n\n${DONE}`);
    expect(seen.outcome).toBe('completed');
  });

  it('ends a stream whose first event does not come within the first-token budget with a 504 error event', async () => {
    const body = new PassThrough();
    const { out, seen, upstreamAbort } = await relay(body, { firstEventTimeoutMs: 50, idleTimeoutMs: 5_000 });
    expect(upstreamAbort.signal.aborted).toBe(true);
    expect(out[0]).toMatch(/^data: \{"error":\{"message":"the model engine sent no token within the first-token timeout/);
    expect(seen.outcome).toBe('idle_timeout');
  });

  it('keeps the usage-only chunk from a client that did not ask for it, byte for byte otherwise, and reports the usage', async () => {
    const events = 'data: {"choices":[{"text":"a"}],"usage":null}\n\ndata: {"id":"x","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}\n\ndata: [DONE]\n\n';
    const { out, seen } = await relay(Readable.from([Buffer.from(events)]), { dropUsageChunk: true });
    expect(out.join('')).toBe(`data: {"choices":[{"text":"a"}],"usage":null}\n\n${DONE}`);
    expect(seen.usage).toEqual([{ prompt_tokens: 3, completion_tokens: 1 }]);
  });

  it('ends with a 503 error event when the server stops (ShuttingDown)', async () => {
    const body = new PassThrough();
    body.write('data: {"a":1}\n\n');
    const upstreamAbort = new AbortController();
    setTimeout(() => upstreamAbort.abort(new ShuttingDown()), 10);
    const { out, seen } = await relay(body, { upstreamAbort });
    expect(out[1]).toMatch(/"type":"service_unavailable","param":null,"code":503/);
    expect(out[1].endsWith(DONE)).toBe(true);
    expect(seen.outcome).toBe('upstream_failed');
  });

  it('stops quietly when the client is gone (the request signal aborts): no error event, upstream let go', async () => {
    const body = new PassThrough();
    body.write('data: {"a":1}\n\n');
    const client = new AbortController();
    const upstreamAbort = new AbortController();
    // The forwarder ties the request's signal to the upstream call.
    client.signal.addEventListener('abort', () => upstreamAbort.abort());
    setTimeout(() => client.abort(), 10);
    const { out, seen } = await relay(body, { signal: client.signal, upstreamAbort });
    expect(out).toEqual(['data: {"a":1}\n\n']);
    expect(seen.outcome).toBe('client_aborted');
    expect(body.destroyed).toBe(true);
  });

  it('counts a consumer that stops pulling (return()) as the client gone, and lets the upstream go', async () => {
    const body = new PassThrough();
    body.write('data: {"a":1}\n\ndata: {"b":2}\n\n');
    let outcome: StreamOutcome | undefined;
    const events = new ResponseStreamer().relay(reply(body, new AbortController()), {
      signal: new AbortController().signal,
      upstreamAbort: new AbortController(),
      maxMergedEvents: 1,
      firstEventTimeoutMs: 5_000,
      idleTimeoutMs: 5_000,
      observer: { end: (o) => (outcome = o) },
    });
    expect((await events.next()).value?.toString()).toBe('data: {"a":1}\n\n');
    await events.return(undefined);
    expect(outcome).toBe('client_aborted');
    expect(body.destroyed).toBe(true);
  });
});
