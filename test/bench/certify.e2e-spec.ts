import 'reflect-metadata';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/cli';
import type { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { capture, withConfigEnv } from '../cli/cli-helpers';
import { startCitadel } from '../support/start-citadel';

/**
 * `bench certify` end to end, tiny: against the real server (one model, in this process, the
 * instant simulator as engine). It checks what the report says and that its numbers agree with
 * each other — never how fast anything was. The simulator writes random words, so the quality
 * criteria must fail, saying why: that is the point of scoring answers at all.
 */
describe('bench certify (TC-L1-COMP-MIXTRAL-003) against a running model', () => {
  let citadel: ServiceOrchestrator;
  let url: string;
  const reports = mkdtempSync(join(tmpdir(), 'citadel-certify-'));

  beforeAll(async () => {
    citadel = await startCitadel({ only: ['mixtral-8x7b'] });
    url = citadel.models[0].url;
  });
  afterAll(async () => {
    await citadel?.stop();
    rmSync(reports, { recursive: true, force: true });
  });

  const certify = (extra: string[]) =>
    withConfigEnv({}, () => capture(() => runCli(['bench', 'certify', '--model', 'mixtral-8x7b', '--url', url, '--requests', '6', '--concurrency', '3', '--max-tokens', '32', '--reports-dir', reports, '--quiet', ...extra])));

  it('writes the seed report fields, one verdict per criterion, and exits by the status', async () => {
    const { result, stdout, stderr } = await certify(['--json']);
    expect(stderr).toBe('');
    const report = JSON.parse(stdout);

    expect(report.test_case).toBe('TC-L1-COMP-MIXTRAL-003');
    expect(report.model).toBe('mixtral-8x7b');
    expect(Object.keys(report.summary).sort()).toEqual(['avg_latency_ms', 'avg_quality_score', 'avg_throughput_rps', 'peak_cpu_cores', 'peak_memory_gb']);
    // Targets come from config/services/mixtral-8x7b.yaml, quality from the test case; the report
    // says which, next to the test case's own targets.
    expect(report.targets).toEqual({ latency_target_ms: 2000, throughput_target_rps: 10, quality_target: 0.8, memory_limit_gb: 90, cpu_limit_cores: 8 });
    expect(report.test_case_targets).toEqual({ latency_target_ms: 2000, throughput_target_rps: 50, quality_target: 0.8, memory_limit_gb: 90, cpu_limit_cores: 8 });
    expect(report.target_sources.throughput_target_rps).toMatch(/^model config: performance\.target_throughput_rps \(.*config\/services\/mixtral-8x7b\.yaml/);
    expect(report.target_sources.latency_target_ms).toMatch(/^model config: performance\.target_latency_ms/);
    expect(report.target_sources.quality_target).toBe('test case TC-L1-COMP-MIXTRAL-003 (quality score >= 0.8)');
    expect(report.criteria.map((c: { id: string }) => c.id)).toEqual([
      'functional',
      'single_request_latency',
      'throughput',
      'throughput_degradation',
      'concurrent_latency',
      'avg_latency',
      'peak_memory',
      'peak_cpu',
      'response_quality',
      'avg_quality',
      'worst_prompt_quality',
      'metrics_reported',
    ]);
    for (const c of report.criteria) expect(['PASS', 'FAIL']).toContain(c.status);

    // Random words fail every quality criterion, with the reason beside the verdict; so does the run.
    const byId = Object.fromEntries(report.criteria.map((c: { id: string }) => [c.id, c]));
    for (const id of ['response_quality', 'avg_quality', 'worst_prompt_quality']) {
      expect(byId[id].status).toBe('FAIL');
      expect(byId[id].value).toBeLessThan(0.5);
    }
    expect(byId.response_quality.note).toMatch(/not fluent \(heuristic\)|reference facts|repeats the prompt/);
    expect(byId.worst_prompt_quality.note).toMatch(/^(reasoning|analysis|generation)\.\w+, \d+ answer\(s\): /);
    expect(report.status).toBe('FAIL');
    expect(result).toBe(1);

    // The server's /metrics counted what certify sent and received (its only traffic here).
    expect(report.monitoring.source).toBe(`${url}/metrics`);
    expect(report.monitoring).toMatchObject({ families: 'citadel', requests: { sent: 11, reported: 11 }, mismatches: [] });
    expect(report.monitoring.completion_tokens.reported).toBe(report.monitoring.completion_tokens.in_answers);
    expect(report.monitoring.completion_tokens.in_answers).toBeGreaterThan(0);
    expect(report.monitoring.mean_latency_ms.server).toBeLessThanOrEqual(report.monitoring.mean_latency_ms.client + 5);
    expect(byId.metrics_reported).toMatchObject({ value: 1, status: 'PASS' });

    // Step 2 under load: the last third against the first, with the threshold in the report.
    expect(report.steps.throughput.degradation_max_ratio).toBe(1.5);
    expect(byId.throughput_degradation).toMatchObject({ target: 1.5, comparison: '<=' });
    expect(byId.throughput_degradation.value).toBeCloseTo(report.steps.throughput.last_third_mean_latency_ms / report.steps.throughput.first_third_mean_latency_ms, 1);

    // Each distinct prompt counts once in the average, whatever its number of answers.
    expect(report.quality_per_prompt.map((p: { prompt: string; answers: number }) => [p.prompt, p.answers])).toEqual([
      ['reasoning.complex', 1],
      ['reasoning.simple', 6],
      ['analysis.medium', 3],
      ['generation.creative', 1],
    ]);
    const promptMeans = report.quality_per_prompt.map((p: { mean_score: number }) => p.mean_score);
    expect(report.summary.avg_quality_score).toBeCloseTo(promptMeans.reduce((a: number, b: number) => a + b, 0) / 4, 2);
    expect(byId.worst_prompt_quality.value).toBeCloseTo(Math.min(...promptMeans), 2);

    // Every request was answered: the simulator never fails here.
    expect(report.criteria[0]).toMatchObject({ value: 1, status: 'PASS', note: '11/11' });
    const { single_request: single, throughput, concurrent_requests: concurrent, resource_utilization: resources, response_quality: quality } = report.steps;
    expect(single.ok).toBe(true);
    expect(throughput).toMatchObject({ requests: 6, ok: 6 });
    expect(concurrent).toMatchObject({ requests: 3, ok: 3 });

    // The numbers agree with each other.
    // wall_ms is reported to 0.1 ms: compare within the error that rounding allows.
    const fromWall = 6 / (throughput.wall_ms / 1000);
    expect(Math.abs(report.summary.avg_throughput_rps - fromWall)).toBeLessThanOrEqual(fromWall * (0.05 / throughput.wall_ms) + 0.01);
    expect(Math.abs(report.summary.avg_latency_ms - (single.latency_ms + concurrent.mean_latency_ms) / 2)).toBeLessThan(0.1);
    expect(concurrent.latency_ms.count).toBe(3);
    expect(concurrent.latency_ms.min).toBeLessThanOrEqual(concurrent.mean_latency_ms + 0.1);
    expect(concurrent.latency_ms.max).toBeGreaterThanOrEqual(concurrent.mean_latency_ms - 0.1);
    expect(report.summary.avg_quality_score).toBeGreaterThanOrEqual(0);
    expect(report.summary.avg_quality_score).toBeLessThanOrEqual(1);
    expect(quality.score).toBeCloseTo(report.criteria.find((c: { id: string }) => c.id === 'response_quality').value, 3);
    expect(Object.keys(quality.components).sort()).toEqual(['coverage', 'fluency', 'length', 'novelty', 'repetition', 'structure']);
    expect(quality.details.reference).toBe('generation.creative');
    expect(report.quality_method).toMatch(/^heuristic/);
    expect(report.fluency_method).toMatch(/^heuristic/);

    // The steps in the seed's order, 1 to 5.
    expect(Object.entries(report.steps).map(([name, step]) => [name, (step as { step: number }).step])).toEqual([
      ['single_request', 1],
      ['throughput', 2],
      ['concurrent_requests', 3],
      ['resource_utilization', 4],
      ['response_quality', 5],
    ]);

    // Memory and CPU from the service's /metrics.
    expect(resources.source).toContain(`${url}/metrics`);
    expect(resources.peak_memory_gb).toBeGreaterThan(0);
    expect(report.summary.peak_memory_gb).toBeGreaterThanOrEqual(resources.baseline_memory_gb);

    // The same report on disk, under the seed's name.
    const files = readdirSync(reports).filter((f) => /^performance_TC-L1-COMP-MIXTRAL-003_mixtral-8x7b_\d{8}T\d{6}Z(-\d+)?\.json$/.test(f));
    expect(files).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(reports, files[0]), 'utf8'))).toEqual(report);
  });

  it('prints a table with PASS/FAIL per criterion, reading resources from /proc with --pid', async () => {
    const { result, stdout } = await certify(['--pid', String(process.pid), '--throughput-target-rps', '0.001', '--latency-target-ms', '600000']);
    expect(stdout).toMatch(/^TC-L1-COMP-MIXTRAL-003 — mixtral-8x7b at /);
    expect(stdout).toMatch(/^criterion\s+measured\s+target\s+status$/m);
    expect(stdout).toMatch(/^step 1: single request latency\s+[\d.]+ ms\s+< 600000 ms\s+PASS$/m);
    expect(stdout).toMatch(/^step 2: batch throughput\s+[\d.]+ req\/s\s+>= 0\.00 req\/s\s+PASS$/m);
    expect(stdout).toMatch(/^step 4: peak memory\s+[\d.]+ GB\s+<= 90 GB\s+PASS$/m);
    expect(stdout).toMatch(/^step 5: response quality \(heuristic\)\s+[\d.]+\s+>= 0\.80\s+FAIL \(.+\)$/m);
    expect(stdout).toMatch(/^throughput \(req\/s\)\s+0\.001\s+50\s+command line: --throughput-target-rps$/m);
    expect(stdout).toMatch(/^quality\s+0\.8\s+0\.8\s+test case TC-L1-COMP-MIXTRAL-003/m);
    expect(stdout).toMatch(/^reasoning\.simple\s+6\s+[\d.]+\s+\S/m);
    expect(stdout).toMatch(/^fluency: heuristic/m);
    expect(stdout).toMatch(/^status: FAIL$/m);
    expect(result).toBe(1);
    expect(stdout).toMatch(/^report: .*performance_TC-L1-COMP-MIXTRAL-003_mixtral-8x7b_/m);
  });

  it('fails with a clear message when nothing answers at the URL', async () => {
    const { result, stderr } = await withConfigEnv({}, () => capture(() => runCli(['bench', 'certify', '--model', 'mixtral-8x7b', '--url', 'http://127.0.0.1:1', '--quiet', '--reports-dir', reports])));
    expect(result).toBe(1);
    expect(stderr).toMatch(/cannot reach the service at http:\/\/127\.0\.0\.1:1/);
  });
});
