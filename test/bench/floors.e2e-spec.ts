import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/cli';
import { FLOORS_PATH_IDS, FLOORS_PATH_LABELS } from '../../src/bench/floors-types';
import { processTree } from '../../src/bench/process-tree';
import { capture, withConfigEnv } from '../cli/cli-helpers';

/**
 * `bench floors` end to end with one short round: every proxy it starts answers the load
 * without an error, the files agree with what it printed, and nothing is left running — never
 * how fast anything was.
 */
describe('bench floors (bare Node, node:http + JSON.parse, Fastify, Nest, gateway)', () => {
  const out = mkdtempSync(join(tmpdir(), 'citadel-floors-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('measures every path in one round and writes floors.md and floors.json', async () => {
    const { result, stdout } = await withConfigEnv({}, () =>
      capture(() => runCli(['bench', 'floors', '--rounds', '1', '--duration', '1', '--warmup', '0', '--connections', '2', '--out-dir', join(out, 'results'), '--json'])),
    );
    expect(result).toBe(0);
    const analysis = JSON.parse(stdout);
    expect(Object.keys(analysis.paths)).toEqual([...FLOORS_PATH_IDS]);
    expect(analysis.withErrors).toEqual([]);
    for (const p of FLOORS_PATH_IDS) {
      const f = analysis.paths[p];
      expect(f.errors).toBe(0);
      expect(f.rounds).toHaveLength(1);
      expect(f.rounds[0].ok).toBeGreaterThan(0);
      expect(f.rps).toBe(f.rounds[0].rps);
      expect(f.cpuUsPerRequest).toBeGreaterThan(0);
      expect(f.cpuVsBare).toBeCloseTo(f.cpuUsPerRequest / analysis.paths.D.cpuUsPerRequest, 9);
      expect(f.rpsVsBare).toBeCloseTo(f.rps / analysis.paths.D.rps, 9);
    }

    const json = JSON.parse(readFileSync(join(out, 'results', 'floors.json'), 'utf8'));
    expect(json.analysis).toEqual(analysis);
    expect(json.settings).toMatchObject({ model: 'mixtral-8x7b', rounds: 1, durationS: 1, warmupS: 0, connections: 2, maxTokens: 16 });
    expect(json.measurements).toHaveLength(FLOORS_PATH_IDS.length);
    for (const m of json.measurements) expect(m).toMatchObject({ round: 1, errors: 0 });
    expect(Object.keys(json.versions)).toEqual(expect.arrayContaining(['node', 'undici', 'fastify', '@nestjs/core']));

    const md = readFileSync(join(out, 'results', 'floors.md'), 'utf8');
    expect(md).toMatch(/^\| path \| proxy CPU µs\/request \| vs D \| req\/s \| vs D \| errors \|/m);
    for (const p of FLOORS_PATH_IDS) expect(md).toContain(`| ${FLOORS_PATH_LABELS[p]} |`);
    expect(md).toContain('Every path answered every request with 2xx');

    // Nothing it started is left running.
    expect(processTree(process.pid)).toEqual([process.pid]);
  }, 120_000);
});
