/**
 * One streaming request, timed: when it was sent, when each event with generated text arrived
 * (events read together share their arrival time, as a client sees them), and how it ended.
 */
import type { Pool } from 'undici';
import { classifySseData, SseDataReader } from './sse-reader';

export interface StreamTrace {
  status?: number;
  /** performance.now() when sent. */
  sentAt: number;
  /** performance.now() of each content event's arrival. */
  contentAt: number[];
  /** `data: [DONE]` arrived. */
  done: boolean;
  error?: string;
}

export interface StreamRequest {
  pool: Pool;
  path: string;
  headers: Record<string, string>;
  body: string;
  signal?: AbortSignal;
  /** Called at each content event, with its index in the stream. */
  onContent?: (index: number) => void;
}

export async function streamOnce(req: StreamRequest): Promise<StreamTrace> {
  const trace: StreamTrace = { sentAt: performance.now(), contentAt: [], done: false };
  try {
    const res = await req.pool.request({ method: 'POST', path: req.path, headers: req.headers, body: req.body, signal: req.signal });
    trace.status = res.statusCode;
    if (res.statusCode !== 200) {
      trace.error = `HTTP ${res.statusCode}`;
      await res.body.dump();
      return trace;
    }
    const reader = new SseDataReader();
    for await (const chunk of res.body) {
      const at = performance.now();
      for (const data of reader.push(chunk as Buffer)) {
        const kind = classifySseData(data);
        if (kind === 'content') {
          trace.contentAt.push(at);
          req.onContent?.(trace.contentAt.length - 1);
        } else if (kind === 'done') {
          trace.done = true;
        } else if (kind === 'error') {
          trace.error = `error event: ${data.slice(0, 200)}`;
        }
      }
    }
    if (!trace.done && !trace.error) trace.error = 'the stream ended without [DONE]';
  } catch (error) {
    trace.error = (error as Error)?.message || String(error);
  }
  return trace;
}

/** Time to the first content event and the gaps between consecutive content events, ms. */
export function traceTimings(trace: StreamTrace): { ttftMs?: number; gapsMs: number[] } {
  const gapsMs: number[] = [];
  for (let i = 1; i < trace.contentAt.length; i++) gapsMs.push(trace.contentAt[i] - trace.contentAt[i - 1]);
  return { ttftMs: trace.contentAt.length ? trace.contentAt[0] - trace.sentAt : undefined, gapsMs };
}
