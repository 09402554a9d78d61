export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses calls before one trial call is let through. */
  openMs: number;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * One replica's circuit breaker: after `failureThreshold` failures in a row it opens and the
 * replica gets no traffic for `openMs`; then a single trial call decides (success closes it,
 * failure opens it again).
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private current: CircuitState = 'closed';

  constructor(
    private readonly options: CircuitBreakerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): CircuitState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.openMs) this.current = 'half_open';
    return this.current;
  }

  /** Whether a call may go to this replica now (without taking the half-open trial slot). */
  canPass(): boolean {
    const state = this.state;
    return state === 'closed' || (state === 'half_open' && !this.trialInFlight);
  }

  /** Marks the start of a call; in half-open state this is the one trial. */
  begin(): void {
    if (this.state === 'half_open') this.trialInFlight = true;
  }

  success(): void {
    this.failures = 0;
    this.trialInFlight = false;
    this.current = 'closed';
  }

  failure(): void {
    this.trialInFlight = false;
    this.failures++;
    if (this.current === 'half_open' || this.failures >= this.options.failureThreshold) {
      this.current = 'open';
      this.openedAt = this.now();
    }
  }

  /** The outcome was neither (e.g. the client left): a half-open trial slot is given back. */
  release(): void {
    this.trialInFlight = false;
  }
}
