import { arrivalOffsetsMs, arrivalsBy, arrivalTime, isLoadProfileName, LOAD_PROFILES, rateAt, totalArrivals } from './arrival-schedule';

describe('arrival schedule (constant arrival rate)', () => {
  it('spaces a constant rate evenly', () => {
    const offsets = arrivalOffsetsMs({ startRps: 10, endRps: 10, durationS: 1 });
    expect(offsets).toHaveLength(10);
    offsets.forEach((t, k) => expect(t).toBeCloseTo(k * 100, 9));
    expect(totalArrivals({ startRps: 10, endRps: 10, durationS: 0.3 })).toBe(3);
  });

  it('ramps linearly: the count is the integral of the rate, the spacing shrinks', () => {
    const ramp = { startRps: 10, endRps: 50, durationS: 120 };
    expect(totalArrivals(ramp)).toBe(3600); // (10 + 50) / 2 × 120
    expect(rateAt(ramp, 0)).toBe(10);
    expect(rateAt(ramp, 60)).toBe(30);
    expect(rateAt(ramp, 500)).toBe(50);
    expect(arrivalsBy(ramp, 60)).toBe(10 * 60 + (40 * 60 * 60) / 240);
    const offsets = arrivalOffsetsMs(ramp);
    for (let k = 1; k < offsets.length; k++) expect(offsets[k]).toBeGreaterThan(offsets[k - 1]);
    // Each due time solves arrivalsBy(t) = k.
    for (const k of [0, 1, 100, 1800, 3599]) expect(arrivalsBy(ramp, offsets[k] / 1000)).toBeCloseTo(k, 6);
    expect(offsets[1] - offsets[0]).toBeCloseTo(100, 0);
    expect(offsets[3599] - offsets[3598]).toBeCloseTo(20, 0);
    expect(offsets[3599]).toBeLessThan(120_000);
  });

  it('handles a ramp from zero and a ramp down', () => {
    expect(arrivalTime({ startRps: 0, endRps: 10, durationS: 10 }, 50)).toBeCloseTo(10, 9);
    const down = { startRps: 50, endRps: 10, durationS: 10 };
    const offsets = arrivalOffsetsMs(down);
    expect(offsets).toHaveLength(300);
    expect(offsets[299]).toBeLessThan(10_000);
    expect(offsets[299] - offsets[298]).toBeGreaterThan(offsets[1] - offsets[0]);
  });

  it('names the TC-L3-PERF-LOAD-001 profiles', () => {
    expect(LOAD_PROFILES.baseline).toMatchObject({ startRps: 10, endRps: 10 });
    expect(LOAD_PROFILES.ramp).toMatchObject({ startRps: 10, endRps: 50 });
    expect(LOAD_PROFILES.sustained).toMatchObject({ startRps: 50, endRps: 50 });
    expect(isLoadProfileName('ramp')).toBe(true);
    expect(isLoadProfileName('toString')).toBe(false);
    expect(() => totalArrivals({ startRps: 0, endRps: 0, durationS: 1 })).toThrow(RangeError);
    expect(() => totalArrivals({ startRps: 1, endRps: 1, durationS: 0 })).toThrow(RangeError);
  });
});
