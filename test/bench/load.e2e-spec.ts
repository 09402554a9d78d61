import 'reflect-metadata';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/cli';
import type { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { capture, withConfigEnv } from '../cli/cli-helpers';
import { startCitadel } from '../support/start-citadel';

/** `bench load` end to end, one second of the ramp profile: the report's structure and arithmetic. */
describe('bench load (TC-L3-PERF-LOAD-001) against a running model', () => {
  let citadel: ServiceOrchestrator;
  const reports = mkdtempSync(join(tmpdir(), 'citadel-load-'));

  beforeAll(async () => {
    citadel = await startCitadel({ only: ['openchat-3.5'] });
  });
  afterAll(async () => {
    await citadel?.stop();
    rmSync(reports, { recursive: true, force: true });
  });

  it('offers the ramp on schedule and reports success, latency, rate and memory drift', async () => {
    const url = citadel.models[0].url;
    const { result, stdout, stderr } = await withConfigEnv({}, () =>
      capture(() =>
        runCli(['bench', 'load', '--model', 'openchat-3.5', '--url', url, '--profile', 'ramp', '--duration', '1', '--max-tokens', '16', '--reports-dir', reports, '--json']),
      ),
    );
    const report = JSON.parse(stdout);
    expect(report.test_case).toBe('TC-L3-PERF-LOAD-001');
    expect(report.profile).toEqual({ name: 'ramp', start_rps: 10, end_rps: 50, duration_s: 1 });
    const s = report.summary;
    // (10 + 50) / 2 requests per second for one second.
    expect(s.offered_requests).toBe(30);
    expect(s.sent + s.dropped).toBe(30);
    expect(s.succeeded + s.failed).toBe(30);
    expect(s.success_ratio).toBeCloseTo(s.succeeded / 30, 12);
    expect(s.achieved_rps).toBeCloseTo(s.succeeded / 1, 12);
    expect(s.offered_rps_mean).toBe(30);
    expect(s.latency_ms.count).toBe(s.succeeded);
    expect(s.latency_ms.p50).toBeLessThanOrEqual(s.latency_ms.p95);
    expect(s.latency_ms.p95).toBeLessThanOrEqual(s.latency_ms.max);
    // openchat-3.5's config: target_latency_ms 1000.
    expect(report.targets).toMatchObject({ latencyP95Ms: 1000, minSuccessRatio: 0.99, maxMemoryDriftPct: 10 });
    expect(Object.values(report.statuses as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(30);
    expect(report.timeline).toHaveLength(1);
    expect(report.timeline[0].sent).toBe(s.sent);
    expect(report.resources_source).toContain('/metrics');
    expect(s.memory.samples).toBeGreaterThanOrEqual(2);
    expect(report.criteria.map((c: { id: string }) => c.id)).toEqual(['success_ratio', 'latency_p95', 'achieved_rate', 'memory_drift']);
    expect(report.status).toBe(report.criteria.every((c: { status: string }) => c.status === 'PASS') ? 'PASS' : 'FAIL');
    expect(result).toBe(report.status === 'PASS' ? 0 : 1);
    // Progress went to stderr while it ran.
    expect(stderr).toMatch(/\[load openchat-3\.5 ramp\].*30 requests over 1 s \(10 → 50 req\/s\)/);
    expect(readdirSync(reports).filter((f) => /^load_TC-L3-PERF-LOAD-001_openchat-3\.5_ramp_\d{8}T\d{6}Z\.json$/.test(f))).toHaveLength(1);
  });
});
