import { analyzeFloors } from './floors-analysis';
import { renderFloorsMarkdown } from './floors-markdown';
import { chooseLoadGenerator } from './tools';
import type { FloorsMeasurement, FloorsPathId, FloorsRaw } from './floors-types';
import type { RequestLoadResult } from './load-jobs';

function result(ok: number, elapsedMs: number, statuses: Record<string, number> = { '2xx': ok }): RequestLoadResult {
  const errors = Object.entries(statuses).reduce((n, [k, v]) => (k.startsWith('2') ? n : n + v), 0);
  return { kind: 'closed', generator: 'wrk', count: ok + errors, ok, errors, statuses, elapsedMs, latenciesMs: [1], generatorCpuSeconds: 0 };
}

function raw(measurements: FloorsMeasurement[], paths: FloorsPathId[] = ['D', 'fastify', 'B']): FloorsRaw {
  return {
    startedAt: '2026-12-01T02:00:00.000Z',
    finishedAt: '2026-12-01T02:01:00.000Z',
    machine: { cpuModel: 'test cpu', cores: 2, memoryGb: 4, os: 'Linux', node: 'v24', loadAverage: 0.5 },
    settings: { model: 'mixtral-8x7b', servedName: 'mixtral', rounds: 3, durationS: 1, warmupS: 0, connections: 4, maxTokens: 16, loadGenerator: 'wrk' },
    paths,
    versions: { node: 'v24', fastify: '5.0.0' },
    notes: [],
    measurements,
  };
}

describe('bench floors: the figures of a run', () => {
  it('per path: the median over rounds of CPU per 2xx answer and of 2xx answers per second, and each as a ratio to D', () => {
    const a = analyzeFloors(
      raw([
        // D: 50, 40, 60 µs per request; 1000, 900, 1100 req/s.
        { round: 1, path: 'D', result: result(1000, 1000), proxyCpuSeconds: 0.05 },
        { round: 2, path: 'D', result: result(900, 1000), proxyCpuSeconds: 0.036 },
        { round: 3, path: 'D', result: result(1100, 1000), proxyCpuSeconds: 0.066 },
        // fastify: 55, 60, 70 µs; 500 req/s each (2000 ok over 4 s).
        { round: 1, path: 'fastify', result: result(2000, 4000), proxyCpuSeconds: 0.11 },
        { round: 2, path: 'fastify', result: result(2000, 4000), proxyCpuSeconds: 0.12 },
        { round: 3, path: 'fastify', result: result(2000, 4000), proxyCpuSeconds: 0.14 },
        // B: one round without a CPU reading (the process could not be read).
        { round: 1, path: 'B', result: result(400, 1000), proxyCpuSeconds: 0.04 },
        { round: 2, path: 'B', result: result(400, 1000) },
        { round: 3, path: 'B', result: result(400, 1000), proxyCpuSeconds: 0.06 },
      ]),
    );
    expect(a.paths.D?.cpuUsPerRequest).toBeCloseTo(50, 9);
    expect(a.paths.D?.rps).toBeCloseTo(1000, 9);
    expect(a.paths.D?.cpuVsBare).toBe(1);
    expect(a.paths.fastify?.cpuUsPerRequest).toBeCloseTo(60, 9);
    expect(a.paths.fastify?.cpuVsBare).toBeCloseTo(1.2, 9);
    expect(a.paths.fastify?.rpsVsBare).toBeCloseTo(0.5, 9);
    expect(a.paths.fastify?.rounds.map((r) => r.round)).toEqual([1, 2, 3]);
    expect(a.paths.B?.cpuUsPerRequest).toBeCloseTo(125, 9);
    expect(a.paths.B?.rounds[1].cpuUsPerRequest).toBeUndefined();
    expect(a.withErrors).toEqual([]);
  });

  it('counts every non-2xx status and socket error, names the paths that had them, and the table says so', () => {
    const run = raw([
      { round: 1, path: 'D', result: result(100, 1000), proxyCpuSeconds: 0.01 },
      { round: 1, path: 'fastify', result: result(90, 1000, { '200': 90, '502': 7, error: 3 }), proxyCpuSeconds: 0.01 },
      { round: 1, path: 'B', result: result(80, 1000, { '2xx': 80, 'non-2xx': 5 }), proxyCpuSeconds: 0.01 },
    ]);
    const a = analyzeFloors(run);
    expect(a.paths.fastify).toMatchObject({ errors: 10, errorKinds: { '502': 7, error: 3 } });
    expect(a.paths.B).toMatchObject({ errors: 5, errorKinds: { 'non-2xx': 5 } });
    expect(a.withErrors).toEqual(['fastify', 'B']);
    const md = renderFloorsMarkdown(run, a);
    expect(md).toContain('**Fastify route had errors** (7 × 502, 3 × socket error)');
    expect(md).toContain('**B gateway had errors** (5 × non-2xx)');
    expect(md).not.toContain('Every path answered every request');
  });

  it('the table: one row per path in order, with the ratios to D and each round', () => {
    const run = raw([
      { round: 1, path: 'D', result: result(1000, 1000), proxyCpuSeconds: 0.05 },
      { round: 1, path: 'fastify', result: result(800, 1000), proxyCpuSeconds: 0.044 },
      { round: 1, path: 'B', result: result(500, 1000), proxyCpuSeconds: 0.05 },
    ]);
    const md = renderFloorsMarkdown(run, analyzeFloors(run));
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| path') && !l.startsWith('| ---'));
    expect(rows).toEqual([
      '| D bare Node (node:http + undici, piped) | 50.0 | 1.00× | 1000 | 1.00× | 0 | 50.0 | 1000 |',
      '| Fastify route | 55.0 | 1.10× | 800 | 0.80× | 0 | 55.0 | 800 |',
      '| B gateway | 100.0 | 2.00× | 500 | 0.50× | 0 | 100.0 | 500 |',
    ]);
    expect(md).toContain('Every path answered every request with 2xx');
  });
});

describe('bench floors: the load generator', () => {
  const wrk = { path: '/usr/bin/wrk', version: 'wrk 4.2.0' };
  it('wrk when found; the Node generator with a note when not, or when asked for; an error when wrk was asked for and is missing', () => {
    expect(chooseLoadGenerator({ load: 'auto' }, () => wrk)).toEqual({ wrk, notes: [] });
    expect(chooseLoadGenerator({ load: 'auto' }, () => undefined)).toEqual({ notes: [expect.stringMatching(/wrk is not installed/)] });
    expect(chooseLoadGenerator({ load: 'node' }, () => wrk)).toEqual({ notes: [expect.stringMatching(/--load node/)] });
    expect(() => chooseLoadGenerator({ load: 'wrk' }, () => undefined)).toThrow(/wrk not found/);
    expect(() => chooseLoadGenerator({ load: 'auto', wrk: '/opt/wrk' }, () => undefined)).toThrow(/wrk not found \(\/opt\/wrk\)/);
  });
});
