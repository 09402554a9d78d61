import { ELDHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** How long the worst event-loop delay stays visible. */
const WINDOW_MS = 5_000;

/**
 * Event-loop delay of this process, sampled by Node itself (perf_hooks, no timer of ours).
 * lagMs() is the worst delay seen in the current and the previous window of 5 s, so a stall
 * shows for at least one window after it happened.
 */
export class EventLoopLag {
  private static shared?: EventLoopLag;

  static get(): EventLoopLag {
    return (this.shared ??= new EventLoopLag());
  }

  private readonly histogram: ELDHistogram;
  private windowStart = performance.now();
  private previousMaxMs = 0;

  private constructor() {
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
  }

  /** The worst delay (ms) in the last 5-10 s, and the median of the current window. */
  lagMs(): { max: number; p50: number } {
    const now = performance.now();
    const h = this.histogram;
    if (now - this.windowStart >= WINDOW_MS) {
      this.previousMaxMs = h.count > 0 ? h.max / 1e6 : 0;
      h.reset();
      this.windowStart = now;
    }
    const currentMax = h.count > 0 ? h.max / 1e6 : 0;
    return { max: Math.max(this.previousMaxMs, currentMax), p50: h.count > 0 ? h.percentile(50) / 1e6 : 0 };
  }
}
