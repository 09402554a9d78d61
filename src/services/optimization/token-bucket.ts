import { Clock, monotonicMs } from '../../common/clock';

/**
 * A token bucket: `ratePerSecond` tokens a second, at most `burst` saved up. It starts full,
 * so a quiet service admits a burst at once, then settles at the rate.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private rate: number,
    private capacity: number,
    private readonly clock: Clock = monotonicMs,
  ) {
    check(rate, capacity);
    this.tokens = capacity;
    this.last = clock();
  }

  get ratePerSecond(): number {
    return this.rate;
  }

  get burst(): number {
    return this.capacity;
  }

  /** New limits (a configuration reload), counted from the last refill; what was saved up stays, within the new burst. */
  setLimits(ratePerSecond: number, burst: number): void {
    if (ratePerSecond === this.rate && burst === this.capacity) return;
    check(ratePerSecond, burst);
    this.rate = ratePerSecond;
    this.capacity = burst;
    this.tokens = Math.min(this.tokens, burst);
  }

  /** Takes one token if there is one. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there (0: now). */
  msUntilToken(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) * 1000) / this.rate;
  }

  /** Tokens saved up now (fractional). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.clock();
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.rate) / 1000);
      this.last = now;
    }
  }
}

function check(rate: number, burst: number): void {
  if (!(rate > 0)) throw new RangeError(`the rate must be positive (got ${rate})`);
  if (!(burst >= 1)) throw new RangeError(`the burst must be at least 1 (got ${burst})`);
}
