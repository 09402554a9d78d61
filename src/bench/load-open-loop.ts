/**
 * Open-loop load: request k leaves when it is due (its offset from the start), whatever the ones
 * before it are doing, up to a cap of requests in flight (beyond it a due request is dropped and
 * counted). Latency runs from the moment a request is sent; how late it was sent (timer lag on the
 * generator's side) is recorded apart.
 */

export interface SendOutcome {
  ok: boolean;
  status?: number;
  error?: string;
}

export interface OpenLoopRecord {
  index: number;
  /** When it was due, ms from the start. */
  dueMs: number;
  /** sent − due, ms. */
  lagMs: number;
  /** ms from the start when the answer was complete. */
  endMs: number;
  latencyMs: number;
  ok: boolean;
  status?: number;
  error?: string;
}

export interface OpenLoopOptions {
  /** Due times, ms from the start, ascending. */
  offsetsMs: readonly number[];
  send: (index: number) => Promise<SendOutcome>;
  maxInFlight: number;
  /** Called about once a second while running. */
  onTick?: (snapshot: OpenLoopSnapshot) => void;
  signal?: AbortSignal;
}

export interface OpenLoopSnapshot {
  elapsedMs: number;
  sent: number;
  done: number;
  ok: number;
  failed: number;
  inFlight: number;
  dropped: number;
}

export interface OpenLoopResult {
  records: OpenLoopRecord[];
  /** Due requests not sent because maxInFlight were already running. */
  dropped: number;
  /** From the start until the last answer. */
  elapsedMs: number;
}

export function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { offsetsMs, send, maxInFlight } = options;
  const records: OpenLoopRecord[] = [];
  const snapshot: OpenLoopSnapshot = { elapsedMs: 0, sent: 0, done: 0, ok: 0, failed: 0, inFlight: 0, dropped: 0 };
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  let ticker: NodeJS.Timeout | undefined;

  return new Promise<OpenLoopResult>((resolve) => {
    const finishIfDone = () => {
      if (next >= offsetsMs.length && snapshot.inFlight === 0) {
        if (ticker) clearInterval(ticker);
        options.signal?.removeEventListener('abort', onAbort);
        records.sort((a, b) => a.index - b.index);
        resolve({ records, dropped: snapshot.dropped, elapsedMs: now() });
      }
    };
    const fire = (index: number, dueMs: number) => {
      if (snapshot.inFlight >= maxInFlight) {
        snapshot.dropped += 1;
        return;
      }
      const sentMs = now();
      snapshot.sent += 1;
      snapshot.inFlight += 1;
      const settle = (outcome: SendOutcome) => {
        const endMs = now();
        snapshot.inFlight -= 1;
        snapshot.done += 1;
        if (outcome.ok) snapshot.ok += 1;
        else snapshot.failed += 1;
        records.push({ index, dueMs, lagMs: sentMs - dueMs, endMs, latencyMs: endMs - sentMs, ...outcome });
        finishIfDone();
      };
      send(index).then(settle, (error: unknown) => settle({ ok: false, error: (error as Error)?.message ?? String(error) }));
    };
    const tick = () => {
      timer = undefined;
      const at = now();
      while (next < offsetsMs.length && offsetsMs[next] <= at) {
        fire(next, offsetsMs[next]);
        next += 1;
      }
      if (next < offsetsMs.length) timer = setTimeout(tick, Math.max(0, offsetsMs[next] - now()));
      else finishIfDone();
    };
    const onAbort = () => {
      if (timer) clearTimeout(timer);
      next = offsetsMs.length;
      finishIfDone();
    };
    options.signal?.addEventListener('abort', onAbort);
    if (options.onTick) {
      ticker = setInterval(() => options.onTick?.({ ...snapshot, elapsedMs: now() }), 1000);
      ticker.unref();
    }
    if (options.signal?.aborted) onAbort();
    else tick();
  });
}
