/**
 * Many long, slow streams held open at once: opens them at a steady pace, waits until each has
 * delivered content (or failed, or the settle timeout passed), reports "holding", and keeps them
 * open until released; then disconnects them all (which must abort them upstream).
 */
import { setMaxListeners } from 'node:events';
import { Pool } from 'undici';
import type { IdleHolding, IdleJob, IdleLoadResult } from './load-jobs';
import { streamOnce, StreamTrace } from './stream-request';

export async function runIdleStreams(
  job: IdleJob,
  onHolding: (holding: IdleHolding) => void,
  released: Promise<void>,
): Promise<Omit<IdleLoadResult, 'generatorCpuSeconds' | 'generator'>> {
  const { target } = job;
  const pool = new Pool(target.origin, { connections: job.streams + 16, headersTimeout: job.settleTimeoutMs, bodyTimeout: 0 });
  const aborter = new AbortController();
  // One signal ends every stream: each request listens to it.
  setMaxListeners(0, aborter.signal);
  const t0 = performance.now();
  let flowing = 0;
  let errors = 0;
  let releasedAlready = false;
  let holding = false;
  let eventsWhileHolding = 0;
  const firstErrors: string[] = [];
  let wake: (() => void) | undefined;
  const check = () => {
    if (flowing + errors >= job.streams) wake?.();
  };

  const traces: Promise<StreamTrace>[] = [];
  const open = (i: number) => {
    const trace = streamOnce({
      pool,
      path: target.path,
      headers: target.headers,
      body: target.body,
      signal: aborter.signal,
      onContent: (index) => {
        if (index === 0) flowing += 1;
        if (holding) eventsWhileHolding += 1;
        check();
      },
    }).then((t) => {
      if (t.error && !releasedAlready) {
        errors += 1;
        if (firstErrors.length < 5) firstErrors.push(`stream ${i}: ${t.error}`);
        check();
      }
      return t;
    });
    traces.push(trace);
  };

  try {
    const spacing = 1000 / job.openPerSecond;
    for (let i = 0; i < job.streams; i++) {
      const due = t0 + i * spacing;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      open(i);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, job.settleTimeoutMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
      check();
    });
    holding = true;
    const holdStart = performance.now();
    const atHold = { flowing, errors };
    onHolding({ event: 'holding', opened: job.streams, ...atHold });
    let holdTimer: NodeJS.Timeout | undefined;
    await Promise.race([released, new Promise<void>((resolve) => (holdTimer = setTimeout(resolve, job.maxHoldMs)))]);
    clearTimeout(holdTimer);
    const holdMs = performance.now() - holdStart;
    releasedAlready = true;
    aborter.abort();
    await Promise.all(traces);
    return { kind: 'idle', elapsedMs: performance.now() - t0, opened: job.streams, ...atHold, firstErrors, eventsWhileHolding, holdMs };
  } finally {
    releasedAlready = true;
    aborter.abort();
    await pool.destroy();
  }
}
