/**
 * Open-model arrivals (constant arrival rate): when each request is due, whatever happened to the
 * ones before. The rate may ramp linearly from `startRps` to `endRps` over the duration.
 */

export interface RateProfile {
  startRps: number;
  endRps: number;
  durationS: number;
}

/** TC-L3-PERF-LOAD-001's load profiles. */
export const LOAD_PROFILES = {
  /** 10 requests per second, steady. */
  baseline: { startRps: 10, endRps: 10, durationS: 60 },
  /** From 10 to 50 requests per second, linearly. */
  ramp: { startRps: 10, endRps: 50, durationS: 120 },
  /** 50 requests per second, steady, for longer. */
  sustained: { startRps: 50, endRps: 50, durationS: 300 },
} as const satisfies Record<string, RateProfile>;

export type LoadProfileName = keyof typeof LOAD_PROFILES;

export function isLoadProfileName(name: string): name is LoadProfileName {
  return Object.prototype.hasOwnProperty.call(LOAD_PROFILES, name);
}

function check(profile: RateProfile): void {
  const { startRps, endRps, durationS } = profile;
  if (!(startRps >= 0 && endRps >= 0 && startRps + endRps > 0)) throw new RangeError('rates must be >= 0 and not both 0');
  if (!(durationS > 0)) throw new RangeError('the duration must be > 0');
}

/** The offered rate at `t` seconds. */
export function rateAt(profile: RateProfile, t: number): number {
  const { startRps, endRps, durationS } = profile;
  return startRps + ((endRps - startRps) * Math.min(Math.max(t, 0), durationS)) / durationS;
}

/** Requests due by `t` seconds: the integral of the rate from 0 to t. */
export function arrivalsBy(profile: RateProfile, t: number): number {
  const { startRps, endRps, durationS } = profile;
  const x = Math.min(Math.max(t, 0), durationS);
  return startRps * x + ((endRps - startRps) * x * x) / (2 * durationS);
}

/** How many requests the profile offers in all. */
export function totalArrivals(profile: RateProfile): number {
  check(profile);
  // A hair of tolerance: 10 rps × 0.3 s is 3 requests, not 2.9999999999999996.
  return Math.floor(arrivalsBy(profile, profile.durationS) + 1e-9);
}

/**
 * When request k (0-based) is due, in seconds from the start: the t with arrivalsBy(t) = k, so the
 * first request leaves at 0 and the spacing follows the rate.
 */
export function arrivalTime(profile: RateProfile, k: number): number {
  const { startRps, endRps, durationS } = profile;
  if (startRps === endRps) return k / startRps;
  const a = (endRps - startRps) / (2 * durationS);
  // a t² + startRps t − k = 0, the positive root (written to stay exact when a is small).
  return (2 * k) / (startRps + Math.sqrt(startRps * startRps + 4 * a * k));
}

/** Every due time of the profile, in milliseconds from the start. */
export function arrivalOffsetsMs(profile: RateProfile): number[] {
  const n = totalArrivals(profile);
  const out = new Array<number>(n);
  for (let k = 0; k < n; k++) out[k] = arrivalTime(profile, k) * 1000;
  return out;
}
