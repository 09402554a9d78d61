import type { Metric, Registry } from 'prom-client';

export type Labels = Record<string, string | number>;

/** One sample as prom-client's registry formats it (`metricName` for _bucket/_sum/_count). */
export interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}

/**
 * Counts for one histogram series in a typed array: observe() does a bucket search and three
 * additions, and allocates nothing, so it can run for every streamed chunk.
 */
export class BucketCounts {
  /** Per bucket (not cumulative); one slot per bound, values above the last bound only in count. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    if (i < bounds.length) this.counts[i]++;
    this.sum += value;
    this.count++;
  }

  /** The value below which `q` (0..1) of the observations fall, interpolated within its bucket. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = q * this.count;
    let below = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      const inBucket = this.counts[i];
      if (below + inBucket >= rank && inBucket > 0) {
        const lower = i === 0 ? 0 : this.bounds[i - 1];
        return lower + ((this.bounds[i] - lower) * (rank - below)) / inBucket;
      }
      below += inBucket;
    }
    // Beyond the last bound: the best we can say is "at least the last bound".
    return this.bounds[this.bounds.length - 1];
  }

  /** The cumulative `_bucket`, `_sum` and `_count` samples of this series. */
  samples(name: string, labels: Labels): Sample[] {
    const out: Sample[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i];
      out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: this.bounds[i] }, value: cumulative });
    }
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: this.count });
    out.push({ metricName: `${name}_sum`, labels, value: this.sum });
    out.push({ metricName: `${name}_count`, labels, value: this.count });
    return out;
  }

  /**
   * Count, sum, quantiles and cumulative buckets as JSON (for /metrics/streaming with Accept:
   * application/json). Buckets are a list in `le` order: as object keys, "1" and "2" would come
   * before "0.005" (JavaScript puts integer-like keys first). Seconds are rounded to the microsecond.
   */
  toJSON() {
    let cumulative = 0;
    const buckets: Array<{ le: number | '+Inf'; count: number }> = [];
    for (let i = 0; i < this.bounds.length; i++) buckets.push({ le: this.bounds[i], count: (cumulative += this.counts[i]) });
    buckets.push({ le: '+Inf', count: this.count });
    const p50 = this.quantile(0.5);
    const p95 = this.quantile(0.95);
    return { count: this.count, sum: micro(this.sum), p50: p50 === null ? null : micro(p50), p95: p95 === null ? null : micro(p95), buckets };
  }
}

/**
 * A metric family whose samples are read from plain state when Prometheus scrapes. The hot path
 * only touches numbers (and BucketCounts); the label objects and exposition lines are built
 * here, once per scrape, by prom-client's registry.
 */
export class ScrapeMetric {
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    private readonly read: () => Sample[],
  ) {}

  async get() {
    return { name: this.name, help: this.help, type: this.type, values: this.read(), aggregator: this.aggregator };
  }

  reset(): void {
    // State belongs to the models; a registry reset does not clear it.
  }

  register(registry: Registry): this {
    registry.registerMetric(this as unknown as Metric);
    return this;
  }
}

/** Rounded to 6 decimals: a microsecond, for values in seconds. */
function micro(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
