import { CallTicket, CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = () => new CircuitBreaker({ failureThreshold: 3, openMs: 1000 }, () => now);
  /** `n` failure events, each from a call started after the previous failure was seen. */
  const fail = (b: CircuitBreaker, n: number) => {
    for (let i = 0; i < n; i++) b.failure(b.begin());
  };
  const open = () => {
    const b = breaker();
    fail(b, 3);
    expect(b.state).toBe('open');
    return b;
  };

  beforeEach(() => {
    now = 0;
  });

  it('opens after the threshold of failure events in a row, not before', () => {
    const b = breaker();
    fail(b, 2);
    expect(b.state).toBe('closed');
    expect(b.failureCount).toBe(2);
    fail(b, 1);
    expect(b.state).toBe('open');
    expect(b.canPass()).toBe(false);
  });

  it('a success in between resets the count', () => {
    const b = breaker();
    fail(b, 2);
    b.success(b.begin());
    fail(b, 2);
    expect(b.state).toBe('closed');
  });

  it('counts one crash with N calls in flight as one failure, however many fail', () => {
    const b = breaker();
    const inFlight = Array.from({ length: 20 }, () => b.begin());
    for (const ticket of inFlight) b.failure(ticket);
    expect(b.failureCount).toBe(1);
    expect(b.state).toBe('closed');
  });

  it('counts calls made after a failure was seen as new events (a dead engine refusing each call)', () => {
    const b = breaker();
    const first = b.begin();
    const stale = b.begin();
    b.failure(first);
    // Started before the failure was seen: the same event.
    b.failure(stale);
    expect(b.failureCount).toBe(1);
    b.failure(b.begin());
    expect(b.failureCount).toBe(2);
  });

  it('ignores failures of calls in flight from before it opened, and their successes (no flapping)', () => {
    const b = breaker();
    const old = [b.begin(), b.begin(), b.begin()];
    fail(b, 3);
    expect(b.state).toBe('open');
    b.success(old[0]);
    expect(b.state).toBe('open');
    b.failure(old[1]);
    now = 1000;
    expect(b.state).toBe('half_open');
    const trial = b.begin();
    expect(trial.trial).toBe(true);
    // An old call's success in half-open state does not close it either: only the trial does.
    b.success(old[2]);
    expect(b.state).toBe('half_open');
    expect(b.canPass()).toBe(false);
    b.success(trial);
    expect(b.state).toBe('closed');
  });

  it('lets exactly one trial through when half open; its outcome decides', () => {
    const b = open();
    now = 999;
    expect(b.canPass()).toBe(false);
    now = 1000;
    expect(b.state).toBe('half_open');
    expect(b.canPass()).toBe(true);
    const trial = b.begin();
    expect(b.canPass()).toBe(false);
    expect(b.begin().trial).toBe(false);
    b.failure(trial);
    expect(b.state).toBe('open');
    now = 1999;
    expect(b.state).toBe('open');
    now = 2000;
    b.success(b.begin());
    expect(b.state).toBe('closed');
    expect(b.canPass()).toBe(true);
  });

  it('a passing probe that started after it opened makes it half open at once; an older probe does not', () => {
    const b = breaker();
    const early = b.probeStarted();
    fail(b, 3);
    b.probePassed(early);
    expect(b.state).toBe('open');
    const probe = b.probeStarted();
    now = 10;
    b.probePassed(probe);
    expect(b.state).toBe('half_open');
    b.success(b.begin());
    expect(b.state).toBe('closed');
  });

  it('a passing probe does not close a half-open circuit or touch a closed one', () => {
    const b = breaker();
    fail(b, 2);
    b.probePassed(b.probeStarted());
    expect(b.failureCount).toBe(2);
    fail(b, 1);
    b.probePassed(b.probeStarted());
    expect(b.state).toBe('half_open');
    b.probePassed(b.probeStarted());
    expect(b.state).toBe('half_open');
  });

  it('a forced trial (recovery when nothing else can be tried) decides an open circuit before open_seconds', () => {
    const b = open();
    expect(b.canTry()).toBe(true);
    const trial = b.begin(true);
    expect(trial.trial).toBe(true);
    expect(b.canTry()).toBe(false);
    b.failure(trial);
    expect(b.state).toBe('open');
    b.success(b.begin(true));
    expect(b.state).toBe('closed');
  });

  it('a failed trial re-opens for a full open_seconds from its failure', () => {
    const b = open();
    now = 1000;
    const trial = b.begin();
    now = 1500;
    b.failure(trial);
    now = 2400;
    expect(b.state).toBe('open');
    now = 2500;
    expect(b.state).toBe('half_open');
  });

  it('gives the trial slot back when a trial ends without a verdict', () => {
    const b = open();
    now = 1000;
    const trial: CallTicket = b.begin();
    b.release(trial);
    expect(b.canPass()).toBe(true);
    expect(b.state).toBe('half_open');
  });

  it('after closing, failures of calls begun while it was open are not counted (they predate the trial)', () => {
    const b = open();
    const panic = [b.begin(), b.begin()];
    now = 1000;
    b.success(b.begin());
    expect(b.state).toBe('closed');
    for (const ticket of panic) b.failure(ticket);
    expect(b.failureCount).toBe(0);
  });
});
