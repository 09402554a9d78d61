/**
 * Streaming probe: `concurrency` streams back to back for the duration (streams under way at the
 * end are finished); collects time to first token and the gaps between content events.
 */
import { Pool } from 'undici';
import type { StreamJob, StreamLoadResult } from './load-jobs';
import { streamOnce, traceTimings } from './stream-request';

export async function runStreamProbe(job: StreamJob): Promise<Omit<StreamLoadResult, 'generatorCpuSeconds' | 'generator'>> {
  const { target } = job;
  const pool = new Pool(target.origin, { connections: job.concurrency, headersTimeout: target.timeoutMs, bodyTimeout: target.timeoutMs });
  const result: Omit<StreamLoadResult, 'generatorCpuSeconds' | 'generator'> = {
    kind: 'stream',
    elapsedMs: 0,
    streams: 0,
    completed: 0,
    errors: 0,
    firstErrors: [],
    ttftMs: [],
    gapsMs: [],
    contentEventsPerStream: [],
  };
  const warmupBody = job.warmupBody;
  if (warmupBody !== undefined) {
    // One connection per user, opened before the clock starts.
    await Promise.all(
      Array.from({ length: job.concurrency }, () => streamOnce({ pool, path: target.path, headers: target.headers, body: warmupBody, signal: AbortSignal.timeout(target.timeoutMs) })),
    );
  }
  const t0 = performance.now();
  const deadline = t0 + job.durationMs;
  const user = async (i: number) => {
    const delay = ((job.staggerMs ?? 0) * i) / job.concurrency;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    // At least one stream each, however short the duration.
    do {
      const trace = await streamOnce({ pool, path: target.path, headers: target.headers, body: target.body, signal: AbortSignal.timeout(target.timeoutMs) });
      result.streams += 1;
      if (trace.error) {
        result.errors += 1;
        if (result.firstErrors.length < 5) result.firstErrors.push(trace.error);
        continue;
      }
      result.completed += 1;
      const { ttftMs, gapsMs } = traceTimings(trace);
      if (ttftMs !== undefined) result.ttftMs.push(ttftMs);
      for (const g of gapsMs) result.gapsMs.push(g);
      result.contentEventsPerStream.push(trace.contentAt.length);
    } while (performance.now() < deadline);
  };
  try {
    await Promise.all(Array.from({ length: job.concurrency }, (_, i) => user(i)));
  } finally {
    await pool.close();
  }
  result.elapsedMs = performance.now() - t0;
  return result;
}
