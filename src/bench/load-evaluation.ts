/**
 * TC-L3-PERF-LOAD-001's figures from the records of an open-loop run: success ratio, latency
 * percentiles, achieved rate, memory drift, a per-second timeline, and the criteria.
 */
import { rateAt, RateProfile } from './arrival-schedule';
import { criterion, Criterion, overall, Verdict } from './criteria';
import type { OpenLoopRecord } from './load-open-loop';
import type { ResourceReport } from './resource-monitor';
import { drift, percentile, round, summarize } from './stats';

export const LOAD_TEST_CASE = 'TC-L3-PERF-LOAD-001';
const MB = 1024 ** 2;

export interface LoadTargets {
  /** p95 latency must stay below it (the model's target_latency_ms). */
  latencyP95Ms: number;
  /** Successful answers over requests offered. */
  minSuccessRatio: number;
  /** Successful answers per second over the offered rate. */
  minRateShare: number;
  /** Resident memory may grow at most this much from the first to the last tenth of the run. */
  maxMemoryDriftPct: number;
}

export interface TimelineSecond {
  t: number;
  offered_rps: number;
  sent: number;
  ok: number;
  failed: number;
  p50_ms?: number;
  p95_ms?: number;
}

export interface LoadSummary {
  offered_requests: number;
  sent: number;
  succeeded: number;
  failed: number;
  dropped: number;
  success_ratio: number;
  offered_rps_mean: number;
  achieved_rps: number;
  latency_ms: Record<string, number | undefined>;
  dispatch_lag_ms_p99?: number;
  memory?: { start_mb: number; end_mb: number; peak_mb: number; drift_mb: number; drift_pct: number; slope_mb_per_min?: number; samples: number };
  peak_cpu_cores?: number;
}

export interface LoadVerdict {
  summary: LoadSummary;
  criteria: Criterion[];
  status: Verdict;
  statuses: Record<string, number>;
  timeline: TimelineSecond[];
}

export function buildTimeline(records: readonly OpenLoopRecord[], profile: RateProfile): TimelineSecond[] {
  const seconds = Math.ceil(profile.durationS);
  const buckets = Array.from({ length: seconds }, () => ({ sent: 0, ok: 0, failed: 0, latencies: [] as number[] }));
  for (const r of records) {
    const b = buckets[Math.min(seconds - 1, Math.max(0, Math.floor(r.dueMs / 1000)))];
    b.sent += 1;
    if (r.ok) {
      b.ok += 1;
      b.latencies.push(r.latencyMs);
    } else {
      b.failed += 1;
    }
  }
  return buckets.map((b, t) => ({
    t,
    offered_rps: round(rateAt(profile, t + 0.5), 2) as number,
    sent: b.sent,
    ok: b.ok,
    failed: b.failed,
    p50_ms: round(percentile(b.latencies, 50), 1),
    p95_ms: round(percentile(b.latencies, 95), 1),
  }));
}

export function evaluateLoad(
  records: readonly OpenLoopRecord[],
  offered: number,
  dropped: number,
  profile: RateProfile,
  resources: ResourceReport | undefined,
  targets: LoadTargets,
): LoadVerdict {
  const succeeded = records.filter((r) => r.ok);
  const latency = summarize(succeeded.map((r) => r.latencyMs));
  const mem = resources ? drift(resources.series.map((p) => ({ t: p.t, value: p.rssBytes }))) : undefined;
  const statuses: Record<string, number> = {};
  for (const r of records) {
    const key = r.status === undefined ? (r.error?.includes('timeout') || r.error?.includes('aborted') ? 'timeout' : 'error') : String(r.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  if (dropped) statuses.dropped = dropped;
  const offeredRps = offered / profile.durationS;
  const achievedRps = succeeded.length / profile.durationS;
  const summary: LoadSummary = {
    offered_requests: offered,
    sent: records.length,
    succeeded: succeeded.length,
    failed: offered - succeeded.length,
    dropped,
    success_ratio: offered ? succeeded.length / offered : 0,
    offered_rps_mean: offeredRps,
    achieved_rps: achievedRps,
    latency_ms: Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, k === 'count' ? v : round(v, 1)])),
    dispatch_lag_ms_p99: round(percentile(records.map((r) => r.lagMs), 99), 2),
    memory: mem && {
      start_mb: round(mem.start / MB, 1) as number,
      end_mb: round(mem.end / MB, 1) as number,
      peak_mb: round(mem.peak / MB, 1) as number,
      drift_mb: round(mem.drift / MB, 1) as number,
      drift_pct: round(mem.driftPct, 2) as number,
      slope_mb_per_min: round(mem.slope === undefined ? undefined : (mem.slope / MB) * 60, 2),
      samples: mem.samples,
    },
    peak_cpu_cores: round(resources?.peakCpuCores, 3),
  };
  const criteria = [
    criterion({ id: 'success_ratio', description: 'successful answers / offered', value: summary.success_ratio, comparison: '>=', target: targets.minSuccessRatio, unit: '' }),
    criterion({ id: 'latency_p95', description: 'p95 latency', value: latency.p95, comparison: '<', target: targets.latencyP95Ms, unit: 'ms' }),
    criterion({
      id: 'achieved_rate',
      description: 'achieved / offered rate',
      value: offeredRps ? achievedRps / offeredRps : undefined,
      comparison: '>=',
      target: targets.minRateShare,
      unit: '',
      note: `${achievedRps.toFixed(2)} of ${offeredRps.toFixed(2)} req/s`,
    }),
    criterion({ id: 'memory_drift', description: 'memory drift (first → last tenth)', value: mem?.driftPct, comparison: '<=', target: targets.maxMemoryDriftPct, unit: '%' }),
  ];
  return { summary, criteria, status: overall(criteria), statuses, timeline: buildTimeline(records, profile) };
}
