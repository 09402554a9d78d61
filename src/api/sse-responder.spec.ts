import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { StreamAnswer } from '../orchestration/answer';
import { respondWithEvents } from './sse-responder';

/** A ServerResponse as far as the responder uses it, recording what it was told; no socket. */
class FakeResponse extends EventEmitter {
  readonly log: string[] = [];
  headers?: Record<string, string>;
  destroyed = false;
  writableEnded = false;
  /** What write() returns: false means the socket's buffer is full. */
  accepts = true;
  noDelay?: boolean;
  readonly socket = { setNoDelay: (on: boolean) => (this.noDelay = on) };

  writeHead(status: number, headers: Record<string, string>) {
    this.log.push(`head ${status}`);
    this.headers = headers;
  }
  flushHeaders() {
    this.log.push('flush');
  }
  write(bytes: Buffer) {
    this.log.push(`write ${bytes.toString()}`);
    return this.accepts;
  }
  end() {
    this.log.push('end');
    this.writableEnded = true;
  }
  leave() {
    this.destroyed = true;
    this.emit('close');
  }
}

/** A relay stand-in: yields `events`, recording each pull and whether it was closed early. */
function answer(events: string[], trace: string[]): StreamAnswer {
  async function* relay() {
    try {
      for (const e of events) {
        trace.push(`pull ${e}`);
        yield Buffer.from(e);
      }
    } finally {
      trace.push('relay closed');
    }
  }
  return { kind: 'stream', headers: { 'x-citadel-model': 'phi-3-mini' }, noDelay: true, events: relay() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('respondWithEvents (the SSE responder)', () => {
  it('sends the SSE headers at once, then every buffer in order, and ends after the last', async () => {
    const res = new FakeResponse();
    const trace: string[] = [];
    await respondWithEvents(res as unknown as ServerResponse, answer(['data: 1\n\n', 'data: [DONE]\n\n'], trace));
    expect(res.log).toEqual(['head 200', 'flush', 'write data: 1\n\n', 'write data: [DONE]\n\n', 'end']);
    expect(res.headers).toEqual({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-citadel-model': 'phi-3-mini',
    });
    expect(res.noDelay).toBe(true);
    expect(trace).toEqual(['pull data: 1\n\n', 'pull data: [DONE]\n\n', 'relay closed']);
  });

  it('pulls nothing more while the socket is full, and goes on after drain (backpressure)', async () => {
    const res = new FakeResponse();
    res.accepts = false;
    const trace: string[] = [];
    const done = respondWithEvents(res as unknown as ServerResponse, answer(['a', 'b'], trace));
    await tick();
    expect(trace).toEqual(['pull a']);
    res.accepts = true;
    res.emit('drain');
    await done;
    expect(trace).toEqual(['pull a', 'pull b', 'relay closed']);
    expect(res.log.at(-1)).toBe('end');
  });

  it('closes the relay and writes nothing more when the client leaves while the socket is full', async () => {
    const res = new FakeResponse();
    res.accepts = false;
    const trace: string[] = [];
    const done = respondWithEvents(res as unknown as ServerResponse, answer(['a', 'b'], trace));
    await tick();
    res.leave();
    await done;
    expect(trace).toEqual(['pull a', 'relay closed']);
    expect(res.log).toEqual(['head 200', 'flush', 'write a']);
  });
});
