/**
 * The one definition of a percentile in this project (health's and efficiency's p50/p95, the
 * benchmarks' percentiles): linear interpolation between the closest ranks of the sorted samples,
 * numpy's default ("type 7" in Hyndman & Fan). `sorted` must be ascending; `p` is 0..100.
 * Undefined for no samples. Prometheus histograms are estimated differently (within a bucket,
 * like `histogram_quantile`), because they hold counts, not samples.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number | undefined {
  const n = sorted.length;
  if (n === 0) return undefined;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100 (got ${p})`);
  const rank = (p / 100) * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}
