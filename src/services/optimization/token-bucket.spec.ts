import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  let now: number;
  const clock = () => now;

  beforeEach(() => (now = 1_000));

  it('starts full: the burst goes at once, then nothing until a token comes', () => {
    const bucket = new TokenBucket(10, 3, clock);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    expect(bucket.msUntilToken()).toBeCloseTo(100);
    now += 50;
    expect(bucket.take()).toBe(false);
    expect(bucket.msUntilToken()).toBeCloseTo(50);
    now += 50;
    expect(bucket.take()).toBe(true);
  });

  it('admits the rate over time, and never saves more than the burst', () => {
    const bucket = new TokenBucket(100, 20, clock);
    let taken = 0;
    for (let ms = 0; ms < 5_000; ms++) {
      now += 1;
      while (bucket.take()) taken++;
    }
    // 20 + 100/s × 5 s (floating-point sums may leave the very last token a hair short).
    expect(taken).toBeGreaterThanOrEqual(519);
    expect(taken).toBeLessThanOrEqual(520);
    now += 60_000;
    expect(bucket.available()).toBe(20);
  });

  it('refuses settings that make no sense', () => {
    expect(() => new TokenBucket(0, 1, clock)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0, clock)).toThrow(RangeError);
  });
});
