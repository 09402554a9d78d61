import { LatencyWindow, RateWindow } from './recent-window';

describe('LatencyWindow', () => {
  let now: number;
  const clock = () => now;
  beforeEach(() => (now = 0));

  it('gives p50 and p95 of the recent samples by the one percentile definition (linear between ranks)', () => {
    const w = new LatencyWindow(1000, 60_000, clock);
    expect(w.quantiles()).toEqual({ p50: null, p95: null, samples: 0 });
    for (let i = 1; i <= 100; i++) w.record(i / 100);
    const q = w.quantiles();
    expect(q.samples).toBe(100);
    expect(q.p50).toBeCloseTo(0.505, 12);
    expect(q.p95).toBeCloseTo(0.9505, 12);
  });

  it('keeps only the last `capacity` samples, and forgets old ones', () => {
    const w = new LatencyWindow(4, 1_000, clock);
    for (const v of [9, 9, 1, 2, 3, 4]) w.record(v);
    expect(w.quantiles()).toMatchObject({ p50: 2.5, samples: 4 });
    now = 5_000;
    w.record(7);
    expect(w.quantiles()).toEqual({ p50: 7, p95: 7, samples: 1 });
  });
});

describe('RateWindow', () => {
  it('averages whole seconds of the window, leaving the current one out', () => {
    let now = 100_000;
    const w = new RateWindow(10, () => now);
    for (let s = 0; s < 10; s++) {
      w.add(5);
      now += 1000;
    }
    w.add(1000); // the current, partial second
    expect(w.perSecond()).toBe(5);
    now += 30_000;
    expect(w.perSecond()).toBe(0);
  });
});
