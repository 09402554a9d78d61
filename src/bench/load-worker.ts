/**
 * The Node load generator, run as its own process (child_process.fork) so that it never shares an
 * event loop with what it measures. The parent sends one job; the worker answers with its result
 * (and, for idle streams, "holding" first, then waits for "release").
 */
import { Pool } from 'undici';
import { arrivalOffsetsMs } from './arrival-schedule';
import { runClosedLoop } from './load-closed-loop';
import { runIdleStreams } from './load-idle-streams';
import type { HttpTarget, IdleHolding, LoadJob, LoadResult, WorkerMessage } from './load-jobs';
import { runOpenLoop, SendOutcome } from './load-open-loop';
import { runStreamProbe } from './load-stream-probe';

function sender(pool: Pool, target: HttpTarget): () => Promise<SendOutcome> {
  return async () => {
    const res = await pool.request({ method: 'POST', path: target.path, headers: target.headers, body: target.body, signal: AbortSignal.timeout(target.timeoutMs) });
    for await (const _chunk of res.body) {
      // Read the whole answer: its last byte ends the latency.
    }
    return { ok: res.statusCode >= 200 && res.statusCode < 300, status: res.statusCode };
  };
}

/** Untimed requests, `count` at once, so that the measured ones find their connections open. */
async function warmup(send: () => Promise<SendOutcome>, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, () => send().catch(() => undefined)));
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export interface JobHooks {
  onHolding?: (holding: IdleHolding) => void;
  released?: Promise<void>;
}

/** Runs one job in this process. */
export async function executeJob(job: LoadJob, hooks: JobHooks = {}): Promise<LoadResult> {
  const cpu0 = cpuSeconds();
  const info = () => ({ generatorCpuSeconds: cpuSeconds() - cpu0, generator: 'node' as const });
  switch (job.kind) {
    case 'closed': {
      const pool = new Pool(job.target.origin, { connections: job.concurrency, headersTimeout: job.target.timeoutMs, bodyTimeout: job.target.timeoutMs });
      const send = sender(pool, job.target);
      try {
        await warmup(send, job.concurrency);
        const r = await runClosedLoop({ concurrency: job.concurrency, durationMs: job.durationMs, send });
        return { kind: 'closed', count: r.count, ok: r.ok, errors: r.errors, statuses: r.statuses, elapsedMs: r.elapsedMs, latenciesMs: r.latenciesMs, ...info() };
      } finally {
        await pool.close();
      }
    }
    case 'open': {
      const pool = new Pool(job.target.origin, { connections: job.maxInFlight, headersTimeout: job.target.timeoutMs, bodyTimeout: job.target.timeoutMs });
      const send = sender(pool, job.target);
      try {
        await warmup(send, Math.min(4, job.maxInFlight));
        const offsetsMs = arrivalOffsetsMs({ startRps: job.rps, endRps: job.rps, durationS: job.durationMs / 1000 });
        const r = await runOpenLoop({ offsetsMs, send: () => send(), maxInFlight: job.maxInFlight });
        const statuses: Record<string, number> = {};
        for (const rec of r.records) {
          const key = rec.status === undefined ? 'error' : String(rec.status);
          statuses[key] = (statuses[key] ?? 0) + 1;
        }
        const ok = r.records.filter((rec) => rec.ok).length;
        return {
          kind: 'open',
          count: r.records.length,
          ok,
          errors: r.records.length - ok,
          statuses,
          elapsedMs: r.elapsedMs,
          latenciesMs: r.records.map((rec) => rec.latencyMs),
          lagMs: r.records.map((rec) => rec.lagMs),
          dropped: r.dropped,
          ...info(),
        };
      } finally {
        await pool.close();
      }
    }
    case 'stream':
      return { ...(await runStreamProbe(job)), ...info() };
    case 'idle':
      return { ...(await runIdleStreams(job, hooks.onHolding ?? (() => undefined), hooks.released ?? Promise.resolve())), ...info() };
  }
}

function serve(): void {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const send = (message: WorkerMessage) => process.send?.(message);
  process.on('message', (message: { job?: LoadJob; release?: boolean }) => {
    if (message.release) {
      release();
      return;
    }
    if (!message.job) return;
    executeJob(message.job, { onHolding: (h) => send(h), released }).then(
      (result) => send({ event: 'result', result }),
      (error: unknown) => send({ event: 'error', message: (error as Error)?.stack ?? String(error) }),
    );
  });
  // The parent leaving ends the generator too.
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module && process.send) serve();
