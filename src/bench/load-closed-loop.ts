/**
 * Closed-loop load: `concurrency` virtual users, each sending its next request as soon as the
 * previous one is answered, until the duration is over (requests under way then are finished and
 * counted; the throughput divides by the time until the last one ended).
 */
import type { SendOutcome } from './load-open-loop';

export interface ClosedLoopOptions {
  concurrency: number;
  durationMs: number;
  send: () => Promise<SendOutcome>;
}

export interface ClosedLoopResult {
  /** Answers received (ok or not). */
  count: number;
  ok: number;
  errors: number;
  /** Status → count, "error" for transport failures. */
  statuses: Record<string, number>;
  elapsedMs: number;
  /** Latency of every answer, ms. */
  latenciesMs: number[];
}

export async function runClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const result: ClosedLoopResult = { count: 0, ok: 0, errors: 0, statuses: {}, elapsedMs: 0, latenciesMs: [] };
  const t0 = performance.now();
  const deadline = t0 + options.durationMs;
  const user = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      let outcome: SendOutcome;
      try {
        outcome = await options.send();
      } catch (error) {
        outcome = { ok: false, error: (error as Error)?.message ?? String(error) };
      }
      result.latenciesMs.push(performance.now() - started);
      result.count += 1;
      if (outcome.ok) result.ok += 1;
      else result.errors += 1;
      const key = outcome.status === undefined ? 'error' : String(outcome.status);
      result.statuses[key] = (result.statuses[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, () => user()));
  result.elapsedMs = performance.now() - t0;
  return result;
}
