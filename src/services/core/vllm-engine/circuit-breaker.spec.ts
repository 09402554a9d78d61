import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = () => new CircuitBreaker({ failureThreshold: 3, openMs: 1000 }, () => now);

  beforeEach(() => {
    now = 0;
  });

  it('opens after the threshold of consecutive failures, not before', () => {
    const b = breaker();
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    b.failure();
    expect(b.state).toBe('open');
    expect(b.canPass()).toBe(false);
  });

  it('a success in between resets the count', () => {
    const b = breaker();
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
  });

  it('lets exactly one trial through when half open; its outcome decides', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.failure();
    now = 999;
    expect(b.canPass()).toBe(false);
    now = 1000;
    expect(b.state).toBe('half_open');
    expect(b.canPass()).toBe(true);
    b.begin();
    expect(b.canPass()).toBe(false);
    b.failure();
    expect(b.state).toBe('open');
    now = 2000;
    b.begin();
    b.success();
    expect(b.state).toBe('closed');
    expect(b.canPass()).toBe(true);
  });

  it('gives the trial slot back when a trial ends without a verdict', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.failure();
    now = 1000;
    b.begin();
    b.release();
    expect(b.canPass()).toBe(true);
  });
});
