/**
 * The figures of a `bench floors` run: per path, CPU time per answered (2xx) request and
 * throughput, each the median over rounds and as a ratio to D's median (the bare proxy), with
 * every round's own figures and the errors, so a path that failed requests says so.
 */
import type { FloorsMeasurement, FloorsPathId, FloorsRaw } from './floors-types';
import { median, ratio } from './stats';

export interface FloorsRoundFigures {
  round: number;
  /** The proxy's CPU µs per 2xx answer. */
  cpuUsPerRequest?: number;
  /** 2xx answers per second. */
  rps?: number;
  ok: number;
  errors: number;
}

export interface FloorsPathFigures {
  /** Median over rounds. */
  cpuUsPerRequest?: number;
  /** cpuUsPerRequest over D's. */
  cpuVsBare?: number;
  /** Median over rounds. */
  rps?: number;
  /** rps over D's. */
  rpsVsBare?: number;
  /** Non-2xx answers and socket errors, over all rounds. */
  errors: number;
  /** What the errors were: a status ("503", "non-2xx" from wrk) or "error" (socket), and how many. */
  errorKinds: Record<string, number>;
  rounds: FloorsRoundFigures[];
}

export interface FloorsAnalysis {
  paths: Partial<Record<FloorsPathId, FloorsPathFigures>>;
  /** Paths with errors: their figures are not those of a proxy that answered everything. */
  withErrors: FloorsPathId[];
}

function roundFigures(m: FloorsMeasurement): FloorsRoundFigures {
  const r = m.result;
  const cpu = ratio(m.proxyCpuSeconds, r.ok);
  return { round: m.round, cpuUsPerRequest: cpu === undefined ? undefined : cpu * 1e6, rps: ratio(r.ok, r.elapsedMs / 1000), ok: r.ok, errors: r.errors };
}

function errorKinds(ms: FloorsMeasurement[]): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const m of ms) {
    for (const [status, count] of Object.entries(m.result.statuses)) {
      if (/^2(\d\d|xx)$/.test(status) || count === 0) continue;
      kinds[status] = (kinds[status] ?? 0) + count;
    }
  }
  return kinds;
}

const defined = (values: (number | undefined)[]) => values.filter((v): v is number => v !== undefined);

export function analyzeFloors(raw: FloorsRaw): FloorsAnalysis {
  const paths: Partial<Record<FloorsPathId, FloorsPathFigures>> = {};
  for (const p of raw.paths) {
    const ms = raw.measurements.filter((m) => m.path === p).sort((a, b) => a.round - b.round);
    const rounds = ms.map(roundFigures);
    paths[p] = {
      cpuUsPerRequest: median(defined(rounds.map((r) => r.cpuUsPerRequest))),
      rps: median(defined(rounds.map((r) => r.rps))),
      errors: rounds.reduce((n, r) => n + r.errors, 0),
      errorKinds: errorKinds(ms),
      rounds,
    };
  }
  const bare = paths.D;
  for (const f of Object.values(paths)) {
    f.cpuVsBare = ratio(f.cpuUsPerRequest, bare?.cpuUsPerRequest);
    f.rpsVsBare = ratio(f.rps, bare?.rps);
  }
  return { paths, withErrors: raw.paths.filter((p) => (paths[p]?.errors ?? 0) > 0) };
}
