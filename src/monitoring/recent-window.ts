import { Clock, monotonicMs } from '../common/clock';
import { percentileOfSorted } from '../common/percentile';

/**
 * The most recent request latencies (a ring of fixed size, no allocation per record), for the
 * observed p50/p95 that health and efficiency reports compare with the latency target.
 */
export class LatencyWindow {
  private readonly values: Float64Array;
  private readonly times: Float64Array;
  private readonly scratch: Float64Array;
  private next = 0;
  private size = 0;

  constructor(
    capacity = 1024,
    /** Older samples than this no longer count. */
    private readonly maxAgeMs = 300_000,
    private readonly clock: Clock = monotonicMs,
  ) {
    this.values = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
    this.scratch = new Float64Array(capacity);
  }

  record(seconds: number): void {
    this.values[this.next] = seconds;
    this.times[this.next] = this.clock();
    this.next = (this.next + 1) % this.values.length;
    if (this.size < this.values.length) this.size++;
  }

  /** p50 and p95 (seconds, common/percentile.ts) of the samples still in the window; null when there are none. */
  quantiles(): { p50: number | null; p95: number | null; samples: number } {
    const oldest = this.clock() - this.maxAgeMs;
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.times[i] >= oldest) this.scratch[n++] = this.values[i];
    if (n === 0) return { p50: null, p95: null, samples: 0 };
    const sorted = this.scratch.subarray(0, n).sort();
    return { p50: percentileOfSorted(sorted, 50)!, p95: percentileOfSorted(sorted, 95)!, samples: n };
  }
}

/**
 * Counts per second over the last `seconds` whole seconds (a ring of one-second slots): how many
 * requests, tokens, ... per second right now. add() allocates nothing.
 */
export class RateWindow {
  private readonly slotSecond: Float64Array;
  private readonly slotCount: Float64Array;

  constructor(
    private readonly seconds = 10,
    private readonly clock: Clock = monotonicMs,
  ) {
    this.slotSecond = new Float64Array(seconds + 1).fill(-1);
    this.slotCount = new Float64Array(seconds + 1);
  }

  add(n = 1): void {
    const second = Math.floor(this.clock() / 1000);
    const i = second % this.slotSecond.length;
    if (this.slotSecond[i] !== second) {
      this.slotSecond[i] = second;
      this.slotCount[i] = 0;
    }
    this.slotCount[i] += n;
  }

  /** The mean rate per second over the last whole seconds (the current, partial second left out). */
  perSecond(): number {
    const now = Math.floor(this.clock() / 1000);
    let total = 0;
    for (let i = 0; i < this.slotSecond.length; i++) {
      const s = this.slotSecond[i];
      if (s < now && s >= now - this.seconds) total += this.slotCount[i];
    }
    return total / this.seconds;
  }
}
