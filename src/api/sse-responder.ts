import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { StreamAnswer } from '../orchestration/answer';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // No `connection` header of ours: Node's own keeps the connection open when the client may
  // reuse it and closes it when the client asked to (`Connection: close`, HTTP/1.0).
  // Tells nginx and similar proxies not to buffer the stream.
  'x-accel-buffering': 'no',
};

/**
 * Writes a stream answer: the SSE headers at once (the engine has accepted the request by the
 * time an answer exists), then each buffer of complete events as the relay hands it over,
 * waiting for the socket to drain when it is full, and ends the response after the last one
 * (`[DONE]`, after an in-band error event when the stream failed). When the client leaves, it
 * stops pulling and closes the relay, which settles the request.
 */
export async function respondWithEvents(res: ServerResponse, answer: StreamAnswer): Promise<void> {
  const events = answer.events;
  // The relay starts before anything else can fail: a started generator always runs its cleanup
  // (the request's slot and metrics), however this ends. Its first event is awaited below.
  const first = events.next();
  // Awaited in the loop; this only keeps a failure from going unhandled if writing the head throws.
  first.catch(() => undefined);
  let finished = false;
  try {
    res.writeHead(200, { ...SSE_HEADERS, ...answer.headers });
    if (answer.noDelay) res.socket?.setNoDelay(true);
    res.flushHeaders();
    for (let step = await first; !step.done; step = await events.next()) {
      if (res.destroyed) break;
      if (!res.write(step.value)) await drained(res);
      if (res.destroyed) break;
    }
    finished = !res.destroyed;
  } finally {
    if (!finished) await events.return(undefined);
    if (!res.writableEnded && !res.destroyed) res.end();
  }
}

async function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed) return;
  // 'close' also ends the wait, so a client that leaves while we wait never strands the relay.
  await Promise.race([once(res, 'drain'), once(res, 'close')]);
}
