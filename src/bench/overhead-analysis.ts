/**
 * The overhead figures from the raw measurements: per path (A direct, B gateway, C nginx, D bare
 * Node proxy) and side by side. Throughput is the median over rounds; latencies pool every
 * round's samples; "added" figures are differences of percentiles (B − A, C − A, D − A, B − C,
 * B − D), not percentiles of differences.
 */
import type { RequestLoadResult, StreamLoadResult } from './load-jobs';
import type { Measurement, MeasurementKind, OverheadRaw, PathId } from './overhead-types';
import { PATH_IDS } from './overhead-types';
import { difference, gapDistortion, median, percentile, ratio } from './stats';

export interface Percentiles {
  p50?: number;
  p99?: number;
  count: number;
}

export interface PathFigures {
  /** Median over rounds of answered-ok requests per second at `connections`. */
  throughputRps?: number;
  throughputRounds: number[];
  /** Latency at max throughput. */
  loadedLatencyMs: Percentiles;
  /** Latency with one connection. */
  c1LatencyMs: Percentiles;
  /** Latency at the fixed moderate rate. */
  rateLatencyMs: Percentiles;
  rateLagP99Ms?: number;
  ttftMs: Percentiles;
  gapMs: Percentiles;
  /** p99 of |gap − tokenMs|. */
  gapDistortionP99Ms?: number;
  streams: number;
  /** Non-2xx answers, transport errors, failed streams: over all measurements. */
  errors: number;
  /** CPU time per ok request at max throughput, µs (median over rounds). */
  cpuUsPerRequest: { proxy?: number; simulator?: number; generator?: number };
  /** CPU cores busy at max throughput (median over rounds). */
  cpuCoresAtMax: { proxy?: number; simulator?: number; generator?: number };
  idle?: { streams: number; flowing: number; errors: number; rssBeforeMb: number; rssHoldingMb: number; kbPerStream: number };
}

export interface Added {
  /** B − A */
  gateway?: number;
  /** C − A */
  nginx?: number;
  /** B − C */
  gatewayVsNginx?: number;
  /** D − A */
  bare?: number;
  /** B − D: the framework's and the gateway's own features' cost on top of Node. */
  gatewayVsBare?: number;
}

export interface OverheadComparison {
  /** B / A, C / A, B / C, D / A, B / D of max throughput. */
  throughputRatio: { gatewayVsDirect?: number; nginxVsDirect?: number; gatewayVsNginx?: number; bareVsDirect?: number; gatewayVsBare?: number };
  /** The gateway's proxy CPU per request at max throughput over nginx's and over the bare proxy's. */
  proxyCpuRatio: { gatewayVsNginx?: number; gatewayVsBare?: number };
  c1P50: Added;
  c1P99: Added;
  rateP50: Added;
  rateP99: Added;
  ttftP50: Added;
  ttftP99: Added;
  gapDistortionP99: Added;
}

export interface OverheadAnalysis {
  paths: Partial<Record<PathId, PathFigures>>;
  comparison: OverheadComparison;
}

const MB = 1024 ** 2;

function of(raw: OverheadRaw, path: PathId, kind: MeasurementKind): Measurement[] {
  return raw.measurements.filter((m) => m.path === path && m.kind === kind);
}

type Sampled = RequestLoadResult | StreamLoadResult;
const latencies = (r: Sampled) => ('latenciesMs' in r ? r.latenciesMs : undefined);
const lags = (r: Sampled) => ('lagMs' in r ? r.lagMs : undefined);
const ttfts = (r: Sampled) => ('ttftMs' in r ? r.ttftMs : undefined);
const gapsOf = (r: Sampled) => ('gapsMs' in r ? r.gapsMs : undefined);

function pooled(ms: Measurement[], pick: (r: Sampled) => number[] | undefined): number[] {
  return ms.flatMap((m) => pick(m.result) ?? []);
}

function percentiles(values: number[]): Percentiles {
  return { p50: percentile(values, 50), p99: percentile(values, 99), count: values.length };
}

function errorsOf(m: Measurement): number {
  return m.result.errors;
}

/** ok requests per second of one request measurement. */
export function okPerSecond(r: RequestLoadResult): number | undefined {
  return r.elapsedMs > 0 ? r.ok / (r.elapsedMs / 1000) : undefined;
}

function pathFigures(raw: OverheadRaw, path: PathId): PathFigures {
  const tp = of(raw, path, 'throughput');
  const c1 = of(raw, path, 'c1');
  const rate = of(raw, path, 'rate');
  const stream = of(raw, path, 'stream');
  const rounds = tp.map((m) => okPerSecond(m.result as RequestLoadResult)).filter((v): v is number => v !== undefined);
  const perRequest = (pick: (m: Measurement) => number | undefined) =>
    median(tp.map((m) => ratio(pick(m), (m.result as RequestLoadResult).ok)).filter((v): v is number => v !== undefined).map((s) => s * 1e6));
  const cores = (pick: (m: Measurement) => number | undefined) =>
    median(tp.map((m) => ratio(pick(m), m.result.elapsedMs / 1000)).filter((v): v is number => v !== undefined));
  const gaps = pooled(stream, gapsOf);
  const idle = raw.idle.find((i) => i.path === path);
  return {
    throughputRps: median(rounds),
    throughputRounds: rounds,
    loadedLatencyMs: percentiles(pooled(tp, latencies)),
    c1LatencyMs: percentiles(pooled(c1, latencies)),
    rateLatencyMs: percentiles(pooled(rate, latencies)),
    rateLagP99Ms: percentile(pooled(rate, lags), 99),
    ttftMs: percentiles(pooled(stream, ttfts)),
    gapMs: percentiles(gaps),
    gapDistortionP99Ms: gapDistortion(gaps, raw.settings.tokenMs),
    streams: stream.reduce((s, m) => s + (m.result as StreamLoadResult).streams, 0),
    errors: [...tp, ...c1, ...rate, ...stream].reduce((s, m) => s + errorsOf(m), 0),
    cpuUsPerRequest: {
      proxy: perRequest((m) => m.cpu.proxy),
      simulator: perRequest((m) => m.cpu.simulator),
      generator: perRequest((m) => m.cpu.generator),
    },
    cpuCoresAtMax: { proxy: cores((m) => m.cpu.proxy), simulator: cores((m) => m.cpu.simulator), generator: cores((m) => m.cpu.generator) },
    idle: idle && {
      streams: idle.result.opened,
      flowing: idle.result.flowing,
      errors: idle.result.errors,
      rssBeforeMb: idle.rssBeforeBytes / MB,
      rssHoldingMb: idle.rssHoldingBytes / MB,
      kbPerStream: idle.result.opened ? (idle.rssHoldingBytes - idle.rssBeforeBytes) / 1024 / idle.result.opened : 0,
    },
  };
}

function added(paths: Partial<Record<PathId, PathFigures>>, pick: (f: PathFigures) => number | undefined): Added {
  const a = paths.A && pick(paths.A);
  const b = paths.B && pick(paths.B);
  const c = paths.C && pick(paths.C);
  const d = paths.D && pick(paths.D);
  return { gateway: difference(b, a), nginx: difference(c, a), gatewayVsNginx: difference(b, c), bare: difference(d, a), gatewayVsBare: difference(b, d) };
}

export function analyzeOverhead(raw: OverheadRaw): OverheadAnalysis {
  const paths: Partial<Record<PathId, PathFigures>> = {};
  for (const p of PATH_IDS) if (raw.paths.includes(p)) paths[p] = pathFigures(raw, p);
  const t = (p: PathId) => paths[p]?.throughputRps;
  const cpu = (p: PathId) => paths[p]?.cpuUsPerRequest.proxy;
  return {
    paths,
    comparison: {
      throughputRatio: {
        gatewayVsDirect: ratio(t('B'), t('A')),
        nginxVsDirect: ratio(t('C'), t('A')),
        gatewayVsNginx: ratio(t('B'), t('C')),
        bareVsDirect: ratio(t('D'), t('A')),
        gatewayVsBare: ratio(t('B'), t('D')),
      },
      proxyCpuRatio: { gatewayVsNginx: ratio(cpu('B'), cpu('C')), gatewayVsBare: ratio(cpu('B'), cpu('D')) },
      c1P50: added(paths, (f) => f.c1LatencyMs.p50),
      c1P99: added(paths, (f) => f.c1LatencyMs.p99),
      rateP50: added(paths, (f) => f.rateLatencyMs.p50),
      rateP99: added(paths, (f) => f.rateLatencyMs.p99),
      ttftP50: added(paths, (f) => f.ttftMs.p50),
      ttftP99: added(paths, (f) => f.ttftMs.p99),
      gapDistortionP99: added(paths, (f) => f.gapDistortionP99Ms),
    },
  };
}

type PerPath<T> = Partial<Record<PathId, T>>;

/** Pooled samples per path for the plot (latency at c=1, at the fixed rate, streaming gaps) and the requests behind the c=1 samples. */
export function plotSamples(raw: OverheadRaw): { c1: PerPath<number[]>; c1Requests: PerPath<number>; rate: PerPath<number[]>; gaps: PerPath<number[]> } {
  const out = { c1: {}, c1Requests: {}, rate: {}, gaps: {} } as ReturnType<typeof plotSamples>;
  for (const p of raw.paths) {
    out.c1[p] = pooled(of(raw, p, 'c1'), latencies);
    out.c1Requests[p] = of(raw, p, 'c1').reduce((n, m) => n + (m.result.kind === 'stream' ? m.result.streams : m.result.count), 0);
    out.rate[p] = pooled(of(raw, p, 'rate'), latencies);
    out.gaps[p] = pooled(of(raw, p, 'stream'), gapsOf);
  }
  return out;
}
