import { difference, drift, ecdfPoints, gapDistortion, linearSlope, mean, median, percentile, percentileSorted, ratio, round, summarize } from './stats';

describe('stats', () => {
  it('interpolates percentiles between the closest ranks', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([4, 1, 3, 2], 0)).toBe(1);
    expect(percentile([4, 1, 3, 2], 100)).toBe(4);
    expect(percentile([4, 1, 3, 2], 25)).toBeCloseTo(1.75, 12);
    expect(percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 99)).toBeCloseTo(99.1, 12);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([1, Number.NaN, 3], 50)).toBe(2);
    expect(() => percentileSorted([1], 101)).toThrow(RangeError);
  });

  it('summarizes a sample', () => {
    const s = summarize(Array.from({ length: 101 }, (_, i) => 100 - i));
    expect(s).toMatchObject({ count: 101, min: 0, max: 100, mean: 50, p50: 50, p90: 90, p95: 95, p99: 99 });
    expect(s.p999).toBeCloseTo(99.9, 12);
    expect(summarize([])).toEqual({ count: 0, min: undefined, mean: undefined, p50: undefined, p90: undefined, p95: undefined, p99: undefined, p999: undefined, max: undefined });
  });

  it('means, medians, ratios and differences tolerate missing values', () => {
    expect(mean([1, 2, 6])).toBe(3);
    expect(mean([])).toBeUndefined();
    expect(median([5, 1, 3])).toBe(3);
    expect(ratio(300, 1200)).toBe(0.25);
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(undefined, 2)).toBeUndefined();
    expect(difference(5.5, 2)).toBe(3.5);
    expect(difference(5, undefined)).toBeUndefined();
    expect(round(1.23456, 2)).toBe(1.23);
    expect(round(undefined)).toBeUndefined();
  });

  it('measures gap distortion as a percentile of |gap − nominal|', () => {
    // |gap − 20|: 0, 1, 1, 2, 20 (a coalesced read, gap 0)
    expect(gapDistortion([20, 21, 19, 22, 0], 20, 50)).toBe(1);
    expect(gapDistortion([20, 21, 19, 22, 0], 20, 100)).toBe(20);
    expect(gapDistortion([], 20)).toBeUndefined();
  });

  it('fits a least-squares slope', () => {
    expect(linearSlope([{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 5 }])).toBeCloseTo(2, 12);
    expect(linearSlope([{ x: 1, y: 1 }])).toBeUndefined();
    expect(linearSlope([{ x: 1, y: 1 }, { x: 1, y: 2 }])).toBeUndefined();
  });

  it('measures drift from the first to the last window', () => {
    const samples = Array.from({ length: 20 }, (_, t) => ({ t, value: 100 + t }));
    const d = drift(samples)!;
    // Windows of 2 samples: mean(100, 101) and mean(118, 119).
    expect(d.start).toBe(100.5);
    expect(d.end).toBe(118.5);
    expect(d.drift).toBe(18);
    expect(d.driftPct).toBeCloseTo(17.910447761, 6);
    expect(d.peak).toBe(119);
    expect(d.slope).toBeCloseTo(1, 12);
    expect(drift([])).toBeUndefined();
    expect(drift([{ t: 0, value: 5 }])).toMatchObject({ start: 5, end: 5, drift: 0, driftPct: 0 });
  });

  it('samples the empirical CDF evenly in rank', () => {
    const points = ecdfPoints([5, 1, 4, 2, 3], 3);
    expect(points).toEqual([
      { x: 1, y: 0.2 },
      { x: 3, y: 0.6 },
      { x: 5, y: 1 },
    ]);
    expect(ecdfPoints([2, 1], 10)).toEqual([
      { x: 1, y: 0.5 },
      { x: 2, y: 1 },
    ]);
    expect(ecdfPoints([])).toEqual([]);
  });
});
