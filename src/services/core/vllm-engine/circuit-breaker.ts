export interface CircuitBreakerOptions {
  /** Failure events in a row that open the circuit (see CircuitBreaker on what one event is). */
  failureThreshold: number;
  /** How long an open circuit waits, at most, before one trial call is let through. */
  openMs: number;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

/** One call (or probe) as the breaker saw it start: its place in the order of events. */
export interface CallTicket {
  readonly seq: number;
  /** This call is the half-open trial: only its outcome closes (or re-opens) the circuit. */
  readonly trial: boolean;
}

/**
 * One replica's circuit breaker.
 *
 * - closed: calls pass. `failureThreshold` failure *events* in a row open it; a success resets
 *   the count.
 * - open: the replica gets no normal traffic. It turns half-open when a health probe that
 *   started after the circuit opened passes (the engine answers again), or after `openMs`
 *   (the fallback when probes are off or /health is not informative).
 * - half_open: exactly one trial call passes; its success closes the circuit, its failure
 *   re-opens it.
 *
 * What one failure event is: every call gets a ticket numbered in start order. When a failure
 * is counted, or the state changes, the breaker remembers the last ticket issued so far; a later
 * failure of a call holding a ticket at or below that mark is not counted again. Such a call was
 * already in flight when the fault was seen, so its failure is the same fault (a crash with N
 * requests in flight resets all N: one event, not N), and a dead engine refusing connections
 * still counts one failure per call made after the previous one was seen. Ordering by ticket,
 * not by a time window, needs no tuning and cannot merge two calls made one after the other.
 *
 * Anti-flapping: outcomes of calls that started before the circuit opened, or that are not the
 * trial, never move an open or half-open circuit; only the trial does.
 */
export class CircuitBreaker {
  private failures = 0;
  private seq = 0;
  /** The last ticket issued when a failure was counted or the state changed. */
  private eventSeq = 0;
  private openedAt = 0;
  private openedSeq = 0;
  private trialInFlight = false;
  private current: CircuitState = 'closed';

  constructor(
    private readonly options: CircuitBreakerOptions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get state(): CircuitState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.openMs) this.moveTo('half_open');
    return this.current;
  }

  /** Failure events counted since the circuit last closed or a call last succeeded. */
  get failureCount(): number {
    return this.failures;
  }

  /** Whether a normal call may go to this replica now (without taking the half-open trial slot). */
  canPass(): boolean {
    const state = this.state;
    return state === 'closed' || (state === 'half_open' && !this.trialInFlight);
  }

  /** Whether the trial slot is free (for a recovery trial when no replica can take traffic). */
  canTry(): boolean {
    return !this.trialInFlight;
  }

  /**
   * Marks the start of a call. In half-open state the first call is the trial; `trial` makes
   * this call the trial whatever the state (a recovery attempt when nothing else can be tried).
   */
  begin(trial = false): CallTicket {
    const takesTrial = !this.trialInFlight && (trial || this.state === 'half_open');
    if (takesTrial) this.trialInFlight = true;
    return { seq: ++this.seq, trial: takesTrial };
  }

  success(ticket: CallTicket): void {
    if (ticket.trial) {
      this.trialInFlight = false;
      this.failures = 0;
      if (this.current !== 'closed') this.moveTo('closed');
      return;
    }
    // An open or half-open circuit is closed by its trial only.
    if (this.current === 'closed') this.failures = 0;
  }

  failure(ticket: CallTicket): void {
    if (ticket.trial) {
      this.trialInFlight = false;
      if (this.current !== 'closed') {
        this.open();
        return;
      }
    }
    if (this.current !== 'closed' || ticket.seq <= this.eventSeq) return;
    this.failures++;
    this.eventSeq = this.seq;
    if (this.failures >= this.options.failureThreshold) this.open();
  }

  /** The outcome was neither (the client left, or a local error): the trial slot is given back. */
  release(ticket: CallTicket): void {
    if (ticket.trial) this.trialInFlight = false;
  }

  /** Marks the start of a health probe. */
  probeStarted(): CallTicket {
    return { seq: ++this.seq, trial: false };
  }

  /** A probe passed: an open circuit whose fault came before the probe started may be tried. */
  probePassed(probe: CallTicket): void {
    if (this.current === 'open' && probe.seq > this.openedSeq) this.moveTo('half_open');
  }

  private open(): void {
    this.openedAt = this.now();
    this.openedSeq = this.seq;
    this.moveTo('open');
  }

  private moveTo(state: CircuitState): void {
    this.current = state;
    this.eventSeq = this.seq;
    if (state === 'closed') this.failures = 0;
  }
}
