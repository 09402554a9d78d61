import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../support/start-citadel';
import { describeWith, PROMTOOL } from './prom-text';

const MONITORING = join(REPO, 'config', 'monitoring');

function promtool(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL!, args, { encoding: 'utf8', cwd: REPO });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describeWith(PROMTOOL, 'promtool')('config/monitoring checked by promtool', () => {
  it('prometheus.yml is a valid configuration, with its rule file', () => {
    const r = promtool(['check', 'config', join(MONITORING, 'prometheus.yml')]);
    expect(r).toMatchObject({ status: 0 });
    expect(r.output).toMatch(/SUCCESS: 1 rule files found/);
  });

  it('alerts.yml passes `promtool check rules`', () => {
    const r = promtool(['check', 'rules', join(MONITORING, 'alerts.yml')]);
    expect(r).toMatchObject({ status: 0 });
    expect(r.output).toMatch(/SUCCESS: 14 rules found/);
  });

  it('the alerts fire as their unit tests expect (engine down, stall, circuit open, local resource errors, slow load, service restarting, error ratio, latency over target, throttling)', () => {
    const r = promtool(['test', 'rules', join(REPO, 'test', 'monitoring', 'alerts.test.yml')]);
    expect(r).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });
});

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(join(MONITORING, 'grafana', 'citadel-llm-dashboard.json'), 'utf8')) as {
    uid: string;
    panels: { id: number; type: string; gridPos: { h: number; w: number; x: number; y: number }; targets?: { expr: string; refId: string }[] }[];
  };

  it('has unique panel ids, panels inside the 24-column grid, and a query in every panel', () => {
    expect(dashboard.uid).toBe('citadel-llm');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      if (p.type !== 'row') expect(p.targets?.length).toBeGreaterThan(0);
    }
  });

  it('reads the models\' metrics ports only (job="citadel-llm"), never the gateway\'s repeat of them', () => {
    for (const p of dashboard.panels) for (const t of p.targets ?? []) expect(t.expr).toMatch(/job="citadel-llm"/);
  });
});
