import { createParser } from 'eventsource-parser';
import { ApiError } from '../../common/api-error';
import { engineErrorToApiError } from '../core/vllm-engine/engine-error-body';

/**
 * The JSON chunks of a relayed stream, for code rather than a socket: each `data:` event parsed,
 * until `data: [DONE]`. An error event (`data: {"error":{...}}`, how vLLM and the relay end a
 * failed stream) is thrown as an ApiError whose status is the event's numeric code (502 when it
 * has none). The relay yields complete events, several to a buffer; eventsource-parser reads them
 * (off the hot path, a library's parser is the right tool: the relay's own splitter only cuts).
 * Closing `events` is left to their owner, who must abort the request first when it stops early.
 */
export async function* sseChunks<T>(events: AsyncIterable<Buffer>): AsyncGenerator<T, void, undefined> {
  const data: string[] = [];
  const parser = createParser({ onEvent: (event) => data.push(event.data) });
  const decoder = new TextDecoder();
  // Not for-await: leaving it early would close `events` before their owner aborts the request.
  const iterator = events[Symbol.asyncIterator]();
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    const bytes = next.value;
    parser.feed(decoder.decode(bytes, { stream: true }));
    while (data.length > 0) {
      const payload = data.shift()!;
      if (payload === '[DONE]') return;
      const chunk = JSON.parse(payload) as { error?: { code?: unknown } };
      if (chunk.error) {
        const code = chunk.error.code;
        const status = typeof code === 'number' && code >= 400 && code < 600 ? code : 502;
        throw engineErrorToApiError(status, chunk.error, payload);
      }
      yield chunk as T;
    }
  }
  // The relay always ends with [DONE]; a stream without it was cut short.
  throw new ApiError(502, 'The stream ended before it was complete.', 'upstream_error', 'stream_incomplete');
}
