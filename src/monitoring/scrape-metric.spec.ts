import { Registry } from 'prom-client';
import { BucketCounts, ScrapeMetric } from './scrape-metric';

describe('BucketCounts', () => {
  it('puts a value in the first bucket whose bound is not below it (Prometheus `le`)', () => {
    const h = new BucketCounts([0.1, 1, 10]);
    for (const v of [0.05, 0.1, 0.5, 1, 20]) h.observe(v);
    expect([...h.counts]).toEqual([2, 2, 0]);
    expect(h.count).toBe(5);
    expect(h.sum).toBeCloseTo(21.65);
  });

  it('gives cumulative _bucket, +Inf, _sum and _count samples', () => {
    const h = new BucketCounts([1, 2]);
    h.observe(0.5);
    h.observe(1.5);
    h.observe(3);
    expect(h.samples('x', { model: 'm' })).toEqual([
      { metricName: 'x_bucket', labels: { model: 'm', le: 1 }, value: 1 },
      { metricName: 'x_bucket', labels: { model: 'm', le: 2 }, value: 2 },
      { metricName: 'x_bucket', labels: { model: 'm', le: '+Inf' }, value: 3 },
      { metricName: 'x_sum', labels: { model: 'm' }, value: 5 },
      { metricName: 'x_count', labels: { model: 'm' }, value: 3 },
    ]);
  });

  it('estimates quantiles within buckets, as histogram_quantile does', () => {
    const h = new BucketCounts([1, 2]);
    expect(h.quantile(0.5)).toBeNull();
    for (let i = 0; i < 10; i++) h.observe(1.5);
    expect(h.quantile(0.5)).toBeCloseTo(1.5);
    expect(h.toJSON()).toMatchObject({ count: 10, buckets: [{ le: 1, count: 0 }, { le: 2, count: 10 }, { le: '+Inf', count: 10 }] });
  });

  it('lists JSON buckets in le order (integer bounds too) and rounds seconds to the microsecond', () => {
    const h = new BucketCounts([0.005, 0.5, 1, 2.5, 10]);
    for (const v of [0.0011111111, 0.3333333333, 7]) h.observe(v);
    const j = h.toJSON();
    expect(j.buckets.map((b) => b.le)).toEqual([0.005, 0.5, 1, 2.5, 10, '+Inf']);
    expect(j.buckets.map((b) => b.count)).toEqual([1, 2, 2, 2, 3, 3]);
    expect(JSON.stringify(j)).toMatch(/^\{"count":3,"sum":7\.334444,/);
    expect(j.p50).toBe(Math.round(h.quantile(0.5)! * 1e6) / 1e6);
  });
});

describe('ScrapeMetric', () => {
  it('is formatted by prom-client\'s registry like its own families', async () => {
    const registry = new Registry();
    const h = new BucketCounts([0.5]);
    h.observe(0.25);
    new ScrapeMetric('demo_seconds', 'A demo.', 'histogram', () => h.samples('demo_seconds', { model: 'a' })).register(registry);
    let n = 7;
    new ScrapeMetric('demo_total', 'Counted elsewhere.', 'counter', () => [{ labels: { model: 'a' }, value: n }]).register(registry);
    n = 8;
    expect(await registry.metrics()).toBe(
      [
        '# HELP demo_seconds A demo.',
        '# TYPE demo_seconds histogram',
        'demo_seconds_bucket{model="a",le="0.5"} 1',
        'demo_seconds_bucket{model="a",le="+Inf"} 1',
        'demo_seconds_sum{model="a"} 0.25',
        'demo_seconds_count{model="a"} 1',
        '',
        '# HELP demo_total Counted elsewhere.',
        '# TYPE demo_total counter',
        'demo_total{model="a"} 8',
        '',
      ].join('\n'),
    );
  });
});
