import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IdleLoadResult, RequestLoadResult, StreamLoadResult } from './load-jobs';
import { analyzeOverhead, plotSamples } from './overhead-analysis';
import { moderateRate } from './overhead-harness';
import { renderOverheadMarkdown } from './overhead-markdown';
import { writeOverheadOutputs } from './overhead-run';
import type { Measurement, OverheadRaw, PathId } from './overhead-types';

const MB = 1024 ** 2;

function req(kind: 'closed' | 'open', ok: number, latenciesMs: number[], elapsedMs = 1000): RequestLoadResult {
  return { kind, generator: 'node', count: ok, ok, errors: 0, statuses: { '200': ok }, elapsedMs, latenciesMs, generatorCpuSeconds: 0.1 };
}

function stream(ttftMs: number[], gapsMs: number[]): StreamLoadResult {
  return { kind: 'stream', generator: 'node', streams: ttftMs.length, completed: ttftMs.length, errors: 0, firstErrors: [], elapsedMs: 1000, ttftMs, gapsMs, contentEventsPerStream: [], generatorCpuSeconds: 0.05 };
}

function idle(opened: number): IdleLoadResult {
  return { kind: 'idle', generator: 'node', opened, flowing: opened, errors: 0, firstErrors: [], eventsWhileHolding: 10, holdMs: 1000, elapsedMs: 3000, generatorCpuSeconds: 0.2 };
}

function m(round: number, path: PathId, kind: Measurement['kind'], result: Measurement['result'], proxy?: number): Measurement {
  return { round, path, kind, result, cpu: { proxy, simulator: 0.5, generator: result.generatorCpuSeconds } };
}

const RAW: OverheadRaw = {
  startedAt: '2025-01-18T12:00:00.000Z',
  finishedAt: '2025-01-18T12:05:00.000Z',
  machine: { cpuModel: 'Test CPU', cores: 2, memoryGb: 8, os: 'Linux', node: 'v20', loadAverage: 0.1 },
  settings: {
    model: 'mixtral-8x7b',
    servedName: 'mistralai/Mixtral-8x7B-Instruct-v0.1',
    rounds: 2,
    durationS: 1,
    warmupS: 0,
    connections: 64,
    rateRps: 500,
    rateChoice: 'auto',
    requestMaxTokens: 16,
    streamConcurrency: 2,
    streamTokens: 64,
    tokenMs: 20,
    idleStreams: 1000,
    idleTokenMs: 1000,
    idleReplicas: 5,
    holdS: 1,
    loadGenerator: 'node',
    nginxWorkers: 1,
  },
  paths: ['A', 'B', 'C', 'D'],
  tools: { nginx: 'nginx/1.22.1' },
  notes: ['a note'],
  measurements: [
    m(1, 'A', 'throughput', req('closed', 10_000, [1, 2])),
    m(2, 'A', 'throughput', req('closed', 8_000, [1, 2])),
    m(1, 'B', 'throughput', req('closed', 2_000, [5, 6]), 2),
    m(2, 'B', 'throughput', req('closed', 3_000, [5, 6]), 3),
    m(1, 'C', 'throughput', req('closed', 6_000, [2, 3]), 0.3),
    m(2, 'C', 'throughput', req('closed', 6_000, [2, 3]), 0.3),
    m(1, 'D', 'throughput', req('closed', 4_000, [3, 4]), 1),
    m(2, 'D', 'throughput', req('closed', 4_000, [3, 4]), 1),
    m(1, 'A', 'c1', req('closed', 2, [0.3, 0.3])),
    m(2, 'A', 'c1', req('closed', 2, [0.5, 0.5])),
    m(1, 'B', 'c1', req('closed', 2, [1.0, 1.2])),
    m(2, 'B', 'c1', req('closed', 2, [1.4, 1.6])),
    m(1, 'C', 'c1', req('closed', 2, [0.4, 0.4])),
    m(2, 'C', 'c1', req('closed', 2, [0.6, 0.6])),
    m(1, 'D', 'c1', req('closed', 2, [0.5, 0.5])),
    m(2, 'D', 'c1', req('closed', 2, [0.7, 0.7])),
    m(1, 'A', 'rate', { ...req('open', 3, [1, 1, 1]), lagMs: [0.1, 0.2, 0.3] }),
    m(1, 'B', 'rate', { ...req('open', 3, [2, 3, 4]), lagMs: [0.1, 0.2, 0.3] }),
    m(1, 'C', 'rate', { ...req('open', 3, [1, 2, 3]), lagMs: [0.1, 0.2, 0.3] }),
    m(1, 'D', 'rate', { ...req('open', 3, [1, 2, 2]), lagMs: [0.1, 0.2, 0.3] }),
    m(1, 'A', 'stream', stream([10, 12], [20, 20, 21, 19])),
    m(1, 'B', 'stream', stream([14, 16], [20, 25, 15, 20])),
    m(1, 'C', 'stream', stream([11, 13], [20, 22, 18, 20])),
    m(1, 'D', 'stream', stream([12, 14], [20, 21, 19, 20])),
  ],
  idle: [
    { path: 'B', rssBeforeBytes: 100 * MB, rssHoldingBytes: 150 * MB, result: idle(1000) },
    { path: 'C', rssBeforeBytes: 10 * MB, rssHoldingBytes: 20 * MB, result: idle(1000) },
    { path: 'D', rssBeforeBytes: 50 * MB, rssHoldingBytes: 70 * MB, result: idle(1000) },
  ],
};

describe('overhead analysis', () => {
  const a = analyzeOverhead(RAW);

  it('takes the median throughput over rounds and compares the paths', () => {
    expect(a.paths.A!.throughputRounds).toEqual([10_000, 8_000]);
    expect(a.paths.A!.throughputRps).toBe(9_000);
    expect(a.paths.B!.throughputRps).toBe(2_500);
    expect(a.paths.C!.throughputRps).toBe(6_000);
    expect(a.comparison.throughputRatio.gatewayVsDirect).toBeCloseTo(2_500 / 9_000, 12);
    expect(a.comparison.throughputRatio.gatewayVsNginx).toBeCloseTo(2_500 / 6_000, 12);
    expect(a.comparison.throughputRatio.nginxVsDirect).toBeCloseTo(6_000 / 9_000, 12);
  });

  it('compares the gateway with the bare Node proxy (D): throughput, CPU per request, latencies', () => {
    expect(a.paths.D!.throughputRps).toBe(4_000);
    expect(a.comparison.throughputRatio.gatewayVsBare).toBeCloseTo(2_500 / 4_000, 12);
    expect(a.comparison.throughputRatio.bareVsDirect).toBeCloseTo(4_000 / 9_000, 12);
    expect(a.paths.D!.cpuUsPerRequest.proxy).toBeCloseTo(250, 9);
    expect(a.comparison.proxyCpuRatio.gatewayVsBare).toBeCloseTo(1000 / 250, 9);
    expect(a.comparison.proxyCpuRatio.gatewayVsNginx).toBeCloseTo(1000 / 50, 9);
    expect(a.comparison.c1P50.gatewayVsBare).toBeCloseTo(1.3 - 0.6, 12);
    expect(a.comparison.c1P50.bare).toBeCloseTo(0.6 - 0.4, 12);
    expect(a.comparison.rateP50.gatewayVsBare).toBe(1);
    expect(a.comparison.ttftP50.gatewayVsBare).toBe(2);
    expect(a.paths.D!.idle?.kbPerStream).toBeCloseTo(20.48, 9);
  });

  it('pools latencies over rounds and subtracts percentiles', () => {
    expect(a.paths.A!.c1LatencyMs).toMatchObject({ p50: 0.4, count: 4 });
    expect(a.paths.B!.c1LatencyMs.p50).toBeCloseTo(1.3, 12);
    expect(a.comparison.c1P50.gateway).toBeCloseTo(0.9, 12);
    expect(a.comparison.c1P50.nginx).toBeCloseTo(0.1, 12);
    expect(a.comparison.c1P50.gatewayVsNginx).toBeCloseTo(0.8, 12);
    expect(a.comparison.rateP50).toEqual({ gateway: 2, nginx: 1, gatewayVsNginx: 1, bare: 1, gatewayVsBare: 1 });
    expect(a.paths.B!.rateLagP99Ms).toBeCloseTo(0.298, 12);
  });

  it('computes time to first token and gap distortion per path', () => {
    expect(a.paths.A!.ttftMs.p50).toBe(11);
    expect(a.comparison.ttftP50.gateway).toBe(4);
    // |gap − 20|: A 0,0,1,1 → p99 1 (interpolated 1); B 0,5,5,0 → 5; C 0,2,2,0 → 2.
    expect(a.paths.A!.gapDistortionP99Ms).toBeCloseTo(1, 12);
    expect(a.paths.B!.gapDistortionP99Ms).toBeCloseTo(5, 12);
    expect(a.comparison.gapDistortionP99.gateway).toBeCloseTo(4, 12);
    expect(a.comparison.gapDistortionP99.gatewayVsNginx).toBeCloseTo(3, 12);
  });

  it('divides CPU by requests and by time', () => {
    expect(a.paths.B!.cpuUsPerRequest.proxy).toBeCloseTo(1000, 9);
    expect(a.paths.B!.cpuCoresAtMax.proxy).toBe(2.5);
    expect(a.paths.C!.cpuUsPerRequest.proxy).toBeCloseTo(50, 9);
    expect(a.paths.A!.cpuUsPerRequest.proxy).toBeUndefined();
    expect(a.paths.A!.cpuUsPerRequest.simulator).toBeCloseTo(((0.5 / 10_000 + 0.5 / 8_000) / 2) * 1e6, 9);
  });

  it('reports the memory of holding the idle streams', () => {
    expect(a.paths.B!.idle).toEqual({ streams: 1000, flowing: 1000, errors: 0, rssBeforeMb: 100, rssHoldingMb: 150, kbPerStream: 51.2 });
    expect(a.paths.A!.idle).toBeUndefined();
  });

  it('leaves C out when nginx was not there', () => {
    const noC = analyzeOverhead({ ...RAW, paths: ['A', 'B'] });
    expect(noC.paths.C).toBeUndefined();
    expect(noC.comparison.throughputRatio.gatewayVsNginx).toBeUndefined();
    expect(noC.comparison.c1P50.gatewayVsNginx).toBeUndefined();
    expect(noC.comparison.c1P50.gateway).toBeCloseTo(0.9, 12);
  });

  it('renders the side-by-side table and gives the plot its samples', () => {
    const md = renderOverheadMarkdown(RAW, a, 'overhead.svg');
    expect(md).toContain('| measure | A direct | B gateway | C nginx | D bare Node | B vs A | B vs D | B vs C | C vs A | D vs A |');
    expect(md).toContain('| max throughput, req/s (c=64) | 9000 | 2500 | 6000 | 4000 | 0.28× | 0.63× | 0.42× | 0.67× | 0.44× |');
    expect(md).toContain('| latency p50, ms (c=1) | 0.400 | 1.300 | 0.500 | 0.600 | +0.900 ms | +0.700 ms | +0.800 ms | +0.100 ms | +0.200 ms |');
    expect(md).toContain('| proxy CPU per request, × the bare proxy (D) | – | 4.00× | 0.20× | – |');
    const noD = renderOverheadMarkdown({ ...RAW, paths: ['A', 'B'] }, analyzeOverhead({ ...RAW, paths: ['A', 'B'] }));
    expect(noD).toContain('| measure | A direct | B gateway | B vs A |');
    expect(md).toContain('![latency CDFs per path](overhead.svg)');
    expect(md).toContain('- a note');
    const s = plotSamples(RAW);
    expect(s.c1.B).toEqual([1.0, 1.2, 1.4, 1.6]);
    expect(s.c1Requests.B).toBe(4);
    expect(s.gaps.C).toEqual([20, 22, 18, 20]);
  });

  it('writes the table, the JSON and the figure as SVG and PNG, the Markdown pointing at the SVG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'citadel-overhead-files-'));
    try {
      const out = writeOverheadOutputs(RAW, dir, undefined);
      expect(readFileSync(out.files.markdown, 'utf8')).toContain('![latency CDFs per path](overhead.svg)');
      const svg = readFileSync(out.files.svg, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      for (const label of ['A direct', 'B gateway', 'C nginx', 'D bare Node', 'Latency CDF, one connection']) expect(svg).toContain(label);
      expect(readFileSync(out.files.png).subarray(1, 4).toString('ascii')).toBe('PNG');
      expect(JSON.parse(readFileSync(out.files.json, 'utf8')).measurements).toHaveLength(RAW.measurements.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes a quarter of the slowest path, rounded down, as the fixed moderate rate', () => {
    expect(moderateRate(2_500)).toBe(600);
    expect(moderateRate(681)).toBe(150);
    expect(moderateRate(20_000)).toBe(5_000);
    expect(moderateRate(30)).toBe(10);
  });
});
