const LF = 0x0a;
const CR = 0x0d;

/**
 * Cuts a byte stream into complete SSE events (each ending with a blank line), whatever the TCP
 * reads looked like. It works on bytes and never decodes, so a multi-byte UTF-8 character split
 * across two reads is passed on whole, exactly as it arrived.
 *
 * Deliberately ours, on the hot path: an SSE parsing library (eventsource-parser, used by the
 * tests and benchmarks) decodes to strings and rebuilds each event, while the relay only needs to
 * know where events end and forwards the engine's bytes untouched, without a copy per event.
 */
export class SseEventSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds a chunk and returns the events it completed (each with its terminating blank line). */
  push(chunk: Buffer): Buffer[] {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const events: Buffer[] = [];
    let start = 0;
    let i = buf.indexOf(LF, start);
    while (i !== -1) {
      let end = -1;
      if (buf[i + 1] === LF) end = i + 2;
      else if (buf[i + 1] === CR && buf[i + 2] === LF) end = i + 3;
      if (end !== -1) {
        events.push(buf.subarray(start, end));
        start = end;
        i = buf.indexOf(LF, start);
      } else {
        i = buf.indexOf(LF, i + 1);
      }
    }
    this.pending = start === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(start));
    return events;
  }

  /** Bytes of an event not yet complete. */
  get pendingBytes(): number {
    return this.pending.length;
  }
}

const DONE = Buffer.from('data: [DONE]');

/** True for the `data: [DONE]` event that ends an OpenAI stream. */
export function isDoneEvent(event: Buffer): boolean {
  return event.length >= DONE.length && event.subarray(0, DONE.length).equals(DONE);
}

const RESPONSES_FINAL = ['response.completed', 'response.incomplete', 'response.failed'].map((type) => Buffer.from(`event: ${type}\n`));

/** True for the event that ends a Responses API stream (it sends no `[DONE]`). */
export function isResponsesFinalEvent(event: Buffer): boolean {
  return RESPONSES_FINAL.some((prefix) => event.length >= prefix.length && event.subarray(0, prefix.length).equals(prefix));
}
