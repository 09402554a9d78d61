import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/cli';
import type { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { capture, withConfigEnv } from '../cli/cli-helpers';
import { describeWith, PROMETHEUS } from '../monitoring/prom-text';
import { waitFor } from '../support/engine-control';
import { startCitadel } from '../support/start-citadel';

/**
 * `bench certify --monitoring-url` (TC-L1-COMP-MIXTRAL-003's monitoring_url) with a real
 * Prometheus (Debian package `prometheus`) scraping the model every second on loopback, on free
 * ports, with its storage in a temporary folder. Prometheus scrapes the same process on its
 * model port and its metrics port, so both targets count certify's requests.
 */
describeWith(PROMETHEUS, 'prometheus')('bench certify --monitoring-url against a real Prometheus', () => {
  jest.setTimeout(120_000);
  let citadel: ServiceOrchestrator;
  let prometheus: ChildProcess | undefined;
  let api: string;
  let log = '';
  const dir = mkdtempSync(join(tmpdir(), 'citadel-certify-prometheus-'));

  beforeAll(async () => {
    citadel = await startCitadel({ only: ['test'] });
    const [test] = citadel.models;
    const targets = [new URL(test.url).host, new URL(test.metricsUrl).host];
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s' },
      scrape_configs: [{ job_name: 'citadel-llm', static_configs: [{ targets }] }],
    };
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
    const port = await getPort({ host: '127.0.0.1' });
    api = `http://127.0.0.1:${port}`;
    prometheus = spawn(PROMETHEUS!, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    prometheus.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    await waitFor(async () => (await fetch(`${api}/-/ready`).catch(() => undefined))?.status === 200, 30_000, `Prometheus to be ready (${log})`);
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await citadel?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const certify = (extra: string[]) =>
    withConfigEnv({}, () =>
      capture(() =>
        runCli(['bench', 'certify', '--model', 'test', '--url', citadel.models[0].url, '--requests', '6', '--concurrency', '3', '--max-tokens', '16', '--reports-dir', join(dir, 'reports'), '--quiet', '--json', ...extra]),
      ),
    );

  it('finds in Prometheus the requests, completion tokens and latency it measured', async () => {
    const { stdout } = await certify(['--monitoring-url', api, '--monitoring-wait', '30']);
    const report = JSON.parse(stdout);
    const prom = report.monitoring_prometheus;
    expect(prom.mismatches).toEqual([]);
    expect(prom).toMatchObject({ families: 'citadel', requests: { sent: 11, reported: 11 } });
    expect(prom.source).toMatch(new RegExp(`^${api} \\(job="citadel-llm", instance="127\\.0\\.0\\.1:\\d+"\\)$`));
    expect(prom.completion_tokens.reported).toBe(prom.completion_tokens.in_answers);
    expect(prom.completion_tokens.in_answers).toBeGreaterThan(0);
    // The same counts /metrics gave directly.
    expect(prom.completion_tokens.reported).toBe(report.monitoring.completion_tokens.reported);
    expect(prom.mean_latency_ms.server).toBeLessThanOrEqual(prom.mean_latency_ms.client + 5);
    expect(report.criteria.find((c: { id: string }) => c.id === 'metrics_in_prometheus')).toMatchObject({ value: 1, status: 'PASS' });
  });

  it('fails the step, saying why, when Prometheus holds none of the model (a selector matching no job)', async () => {
    const { stdout, result } = await certify(['--monitoring-url', api, '--monitoring-selector', 'job="nonesuch"', '--monitoring-wait', '1']);
    const report = JSON.parse(stdout);
    expect(report.monitoring_prometheus.mismatches).toEqual([expect.stringMatching(/^Prometheus: performance metrics not reported: Prometheus has no series of model "test"/)]);
    expect(report.criteria.find((c: { id: string }) => c.id === 'metrics_in_prometheus')).toMatchObject({ value: 0, status: 'FAIL' });
    expect(result).toBe(1);
  });

  it('without --monitoring-url there is no Prometheus criterion', async () => {
    const { stdout } = await certify([]);
    const report = JSON.parse(stdout);
    expect(report.monitoring_prometheus).toBeUndefined();
    expect(report.criteria.map((c: { id: string }) => c.id)).not.toContain('metrics_in_prometheus');
  });
});
