/**
 * Statistics the harnesses compute: percentiles, summaries, ratios and differences, drift.
 * Pure functions over plain arrays; every harness number goes through here.
 */

import { percentileOfSorted } from '../common/percentile';

/** A copy sorted ascending (NaN dropped). */
export function sortedCopy(values: readonly number[]): number[] {
  return values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
}

/** The p-th percentile (0..100) of values already sorted ascending: the project's one definition (common/percentile.ts). */
export function percentileSorted(sorted: readonly number[], p: number): number | undefined {
  return percentileOfSorted(sorted, p);
}

export function percentile(values: readonly number[], p: number): number | undefined {
  return percentileSorted(sortedCopy(values), p);
}

export function mean(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function median(values: readonly number[]): number | undefined {
  return percentile(values, 50);
}

export interface LatencySummary {
  count: number;
  min?: number;
  mean?: number;
  p50?: number;
  p90?: number;
  p95?: number;
  p99?: number;
  p999?: number;
  max?: number;
}

/** Count, mean and the usual percentiles of a sample (same unit in and out). */
export function summarize(values: readonly number[]): LatencySummary {
  const s = sortedCopy(values);
  return {
    count: s.length,
    min: s[0],
    mean: mean(s),
    p50: percentileSorted(s, 50),
    p90: percentileSorted(s, 90),
    p95: percentileSorted(s, 95),
    p99: percentileSorted(s, 99),
    p999: percentileSorted(s, 99.9),
    max: s[s.length - 1],
  };
}

/** a / b, or undefined when either is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return undefined;
  return a / b;
}

/** a − b, or undefined when either is missing. */
export function difference(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  return a - b;
}

/**
 * How far the gaps between chunks stray from the nominal spacing: the p-th percentile of
 * |gap − nominal| (default p99).
 */
export function gapDistortion(gaps: readonly number[], nominalMs: number, p = 99): number | undefined {
  return percentile(
    gaps.map((g) => Math.abs(g - nominalMs)),
    p,
  );
}

/** Least-squares slope of y over x (undefined with fewer than two distinct x). */
export function linearSlope(points: readonly { x: number; y: number }[]): number | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
  }
  return sxx === 0 ? undefined : sxy / sxx;
}

export interface Drift {
  /** Mean of the first window. */
  start: number;
  /** Mean of the last window. */
  end: number;
  peak: number;
  /** end − start. */
  drift: number;
  /** drift as a percentage of start. */
  driftPct: number;
  /** Least-squares slope, per unit of x. */
  slope?: number;
  samples: number;
}

/**
 * Drift of a sampled quantity (e.g. resident memory over a load test): the mean of the last
 * `windowShare` of the samples minus the mean of the first, at least one sample each.
 */
export function drift(samples: readonly { t: number; value: number }[], windowShare = 0.1): Drift | undefined {
  if (samples.length === 0) return undefined;
  const window = Math.max(1, Math.floor(samples.length * windowShare));
  const start = mean(samples.slice(0, window).map((s) => s.value)) as number;
  const end = mean(samples.slice(samples.length - window).map((s) => s.value)) as number;
  const peak = Math.max(...samples.map((s) => s.value));
  return {
    start,
    end,
    peak,
    drift: end - start,
    driftPct: start === 0 ? 0 : ((end - start) / start) * 100,
    slope: linearSlope(samples.map((s) => ({ x: s.t, y: s.value }))),
    samples: samples.length,
  };
}

/**
 * Points of the empirical CDF for plotting: at most `points` (x, fraction ≤ x) pairs, evenly
 * spaced in rank, first and last sample included.
 */
export function ecdfPoints(values: readonly number[], points = 200): { x: number; y: number }[] {
  const s = sortedCopy(values);
  if (s.length === 0) return [];
  const n = Math.min(points, s.length);
  const out: { x: number; y: number }[] = [];
  for (let i = 0; i < n; i++) {
    const index = n === 1 ? s.length - 1 : Math.round((i * (s.length - 1)) / (n - 1));
    out.push({ x: s[index], y: (index + 1) / s.length });
  }
  return out;
}

/** Rounds for display: `digits` decimals, undefined kept. */
export function round(value: number | undefined, digits = 2): number | undefined {
  if (value === undefined || !Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
