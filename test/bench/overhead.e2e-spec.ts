import 'reflect-metadata';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/cli';
import { PATH_LABELS, PathId } from '../../src/bench/overhead-types';
import { processTree } from '../../src/bench/process-tree';
import { detectNginx } from '../../src/bench/tools';
import { capture, withConfigEnv } from '../cli/cli-helpers';

/**
 * `bench overhead` end to end with one short round: every process it starts, the report's
 * structure, and figures that agree with each other — never how fast anything was.
 */
describe('bench overhead (direct vs gateway vs nginx vs bare Node proxy)', () => {
  const out = mkdtempSync(join(tmpdir(), 'citadel-overhead-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs A/B(/C)/D side by side and writes the table, the JSON and the plot', async () => {
    const { result, stdout, stderr } = await withConfigEnv({}, () =>
      capture(() =>
        runCli([
          'bench', 'overhead',
          '--duration', '1', '--rounds', '1', '--warmup', '0',
          '--connections', '4', '--stream-concurrency', '2', '--stream-tokens', '8',
          '--idle-streams', '10', '--hold', '0.5',
          '--out-dir', join(out, 'results'), '--reports-dir', join(out, 'reports'),
          '--json',
        ]),
      ),
    );
    expect(result).toBe(0);
    const analysis = JSON.parse(stdout);
    const withNginx = detectNginx() !== undefined;
    const paths = withNginx ? ['A', 'B', 'C', 'D'] : ['A', 'B', 'D'];
    expect(Object.keys(analysis.paths)).toEqual(paths);
    if (!withNginx) expect(stderr).toMatch(/nginx is not installed.*path C skipped/);

    const { A, B, D } = analysis.paths;
    for (const p of paths) {
      const f = analysis.paths[p];
      expect(f.throughputRounds).toHaveLength(1);
      expect(f.throughputRps).toBe(f.throughputRounds[0]);
      expect(f.errors).toBe(0);
      expect(f.c1LatencyMs.p50).toBeLessThanOrEqual(f.c1LatencyMs.p99);
      expect(f.rateLatencyMs.count).toBeGreaterThan(0);
      expect(f.streams).toBeGreaterThanOrEqual(2);
      expect(f.gapMs.count).toBeGreaterThan(0);
    }
    expect(analysis.comparison.throughputRatio.gatewayVsDirect).toBeCloseTo(B.throughputRps / A.throughputRps, 9);
    expect(analysis.comparison.c1P50.gateway).toBeCloseTo(B.c1LatencyMs.p50 - A.c1LatencyMs.p50, 9);
    expect(analysis.comparison.ttftP99.gateway).toBeCloseTo(B.ttftMs.p99 - A.ttftMs.p99, 9);
    expect(analysis.comparison.gapDistortionP99.gateway).toBeCloseTo(B.gapDistortionP99Ms - A.gapDistortionP99Ms, 9);
    expect(A.idle).toBeUndefined();
    expect(B.idle).toMatchObject({ streams: 10, flowing: 10, errors: 0 });
    expect(B.idle.rssHoldingMb).toBeGreaterThan(0);
    expect(B.cpuUsPerRequest.proxy).toBeGreaterThan(0);
    expect(D.cpuUsPerRequest.proxy).toBeGreaterThan(0);
    expect(D.idle).toMatchObject({ streams: 10, flowing: 10, errors: 0 });
    expect(analysis.comparison.throughputRatio.gatewayVsBare).toBeCloseTo(B.throughputRps / D.throughputRps, 9);
    expect(analysis.comparison.proxyCpuRatio.gatewayVsBare).toBeCloseTo(B.cpuUsPerRequest.proxy / D.cpuUsPerRequest.proxy, 9);
    expect(analysis.comparison.c1P50.gatewayVsBare).toBeCloseTo(B.c1LatencyMs.p50 - D.c1LatencyMs.p50, 9);
    if (withNginx) {
      expect(analysis.comparison.throughputRatio.gatewayVsNginx).toBeCloseTo(B.throughputRps / analysis.paths.C.throughputRps, 9);
      expect(analysis.paths.C.idle).toMatchObject({ streams: 10, flowing: 10 });
    }

    // The files: the Markdown table, the JSON with one line per measurement, the SVG and its PNG.
    const md = readFileSync(join(out, 'results', 'overhead.md'), 'utf8');
    expect(md).toMatch(/^\| measure \| A direct \| B gateway \|.* D bare Node \| B vs A \| B vs D \|/m);
    expect(md).toContain('![latency CDFs per path](overhead.svg)');
    const json = JSON.parse(readFileSync(join(out, 'results', 'overhead.json'), 'utf8'));
    expect(json.measurements).toHaveLength(paths.length * 4);
    expect(json.settings).toMatchObject({ rounds: 1, durationS: 1, connections: 4, streamTokens: 8, tokenMs: 20, idleStreams: 10 });
    const svg = readFileSync(join(out, 'results', 'overhead.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const path of paths) expect(svg).toContain(PATH_LABELS[path as PathId]);
    const png = readFileSync(join(out, 'results', 'overhead.png'));
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(960);
    expect(readdirSync(join(out, 'reports')).some((f) => f.startsWith('overhead_raw_'))).toBe(true);

    // Nothing it started is left running.
    expect(processTree(process.pid)).toEqual([process.pid]);
  }, 120_000);
});
