import type { OpenLoopRecord } from './load-open-loop';
import { buildTimeline, evaluateLoad } from './load-evaluation';
import { summarizeResources } from './resource-monitor';

const PROFILE = { startRps: 10, endRps: 10, durationS: 2 };
const TARGETS = { latencyP95Ms: 500, minSuccessRatio: 0.99, minRateShare: 0.95, maxMemoryDriftPct: 10 };

function records(n: number, latency: (i: number) => number, ok: (i: number) => boolean = () => true): OpenLoopRecord[] {
  return Array.from({ length: n }, (_, i) => ({ index: i, dueMs: i * 100, lagMs: 0.5, endMs: i * 100 + latency(i), latencyMs: latency(i), ok: ok(i), status: ok(i) ? 200 : 503 }));
}

const MB = 1024 ** 2;
const flatMemory = summarizeResources('test', Array.from({ length: 10 }, (_, i) => ({ at: i * 1000, rssBytes: 100 * MB, cpuSeconds: i * 0.1 })));

describe('load test evaluation (TC-L3-PERF-LOAD-001)', () => {
  it('passes a clean run and computes its figures', () => {
    const v = evaluateLoad(records(20, (i) => 100 + i), 20, 0, PROFILE, flatMemory, TARGETS);
    expect(v.summary).toMatchObject({ offered_requests: 20, sent: 20, succeeded: 20, failed: 0, success_ratio: 1, offered_rps_mean: 10, achieved_rps: 10 });
    expect(v.summary.latency_ms).toMatchObject({ count: 20, min: 100, max: 119, p50: 109.5 });
    expect(v.summary.memory).toMatchObject({ start_mb: 100, end_mb: 100, drift_mb: 0, drift_pct: 0 });
    expect(v.summary.peak_cpu_cores).toBeCloseTo(0.1, 6);
    expect(v.statuses).toEqual({ '200': 20 });
    expect(v.status).toBe('PASS');
  });

  it('fails on errors, dropped requests, slow answers and memory growth', () => {
    const failing = evaluateLoad(records(20, () => 100, (i) => i !== 3), 20, 0, PROFILE, flatMemory, TARGETS);
    expect(failing.summary.success_ratio).toBe(0.95);
    expect(failing.statuses).toEqual({ '200': 19, '503': 1 });
    expect(failing.criteria.find((c) => c.id === 'success_ratio')!.status).toBe('FAIL');
    expect(failing.criteria.find((c) => c.id === 'achieved_rate')!.status).toBe('PASS');

    const dropped = evaluateLoad(records(15, () => 100), 20, 5, PROFILE, flatMemory, TARGETS);
    expect(dropped.summary).toMatchObject({ failed: 5, dropped: 5, success_ratio: 0.75, achieved_rps: 7.5 });
    expect(dropped.statuses.dropped).toBe(5);
    expect(dropped.criteria.find((c) => c.id === 'achieved_rate')!.status).toBe('FAIL');

    const slow = evaluateLoad(records(20, (i) => (i < 18 ? 100 : 900)), 20, 0, PROFILE, flatMemory, TARGETS);
    expect(slow.criteria.find((c) => c.id === 'latency_p95')!.status).toBe('FAIL');

    const growing = summarizeResources('test', Array.from({ length: 10 }, (_, i) => ({ at: i * 1000, rssBytes: (100 + 5 * i) * MB })));
    const leak = evaluateLoad(records(20, () => 100), 20, 0, PROFILE, growing, TARGETS);
    expect(leak.summary.memory).toMatchObject({ start_mb: 100, end_mb: 145, drift_mb: 45, drift_pct: 45, slope_mb_per_min: 300 });
    expect(leak.criteria.find((c) => c.id === 'memory_drift')!.status).toBe('FAIL');
    expect(leak.status).toBe('FAIL');

    const unmeasured = evaluateLoad(records(20, () => 100), 20, 0, PROFILE, undefined, TARGETS);
    expect(unmeasured.criteria.find((c) => c.id === 'memory_drift')).toMatchObject({ status: 'FAIL', note: 'not measured' });
  });

  it('builds a per-second timeline by due time', () => {
    const t = buildTimeline(records(20, (i) => i, (i) => i % 10 !== 0), PROFILE);
    expect(t).toHaveLength(2);
    expect(t[0]).toMatchObject({ t: 0, offered_rps: 10, sent: 10, ok: 9, failed: 1, p50_ms: 5 });
    expect(t[1]).toMatchObject({ t: 1, sent: 10, ok: 9, failed: 1, p50_ms: 15 });
  });
});
