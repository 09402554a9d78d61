import { ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import getPort from 'get-port';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { waitFor } from '../support/engine-control';
import { REPO, startCitadel } from '../support/start-citadel';
import { describeWith, PROMETHEUS, scrape } from './prom-text';

const MONITORING = join(REPO, 'config', 'monitoring');
const json = { 'content-type': 'application/json' };

type ScrapeConfig = { job_name: string; static_configs: { targets: string[]; labels?: Record<string, string> }[] };
type Dashboard = { panels: { type: string; title: string; targets?: { expr: string }[] }[]; templating: { list: { name: string; query?: unknown }[] } };

/** Every PromQL expression of the dashboard, with Grafana's variables filled in as Grafana would. */
function dashboardQueries(): { title: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(join(MONITORING, 'grafana', 'citadel-llm-dashboard.json'), 'utf8')) as Dashboard;
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr.replaceAll('$model', '.*').replaceAll('$__rate_interval', '1m') })));
}

/** Every citadel_llm_* family the alerts and the dashboard read. */
function referencedFamilies(): string[] {
  const text = readFileSync(join(MONITORING, 'alerts.yml'), 'utf8') + readFileSync(join(MONITORING, 'grafana', 'citadel-llm-dashboard.json'), 'utf8');
  return [...new Set([...text.matchAll(/citadel_llm_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')))].sort();
}

describe('the ops artefacts against a running server', () => {
  let server: ServiceOrchestrator;

  beforeAll(async () => {
    server = await startCitadel();
    for (const m of server.models) {
      const res = await fetch(`${m.url}/v1/completions`, { method: 'POST', headers: json, body: JSON.stringify({ prompt: 'x', max_tokens: 2 }) });
      await res.text();
    }
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('the alerts and the dashboard only read families the server exports', async () => {
    const exported = new Set(
      (await scrape(server.gatewayUrl!))
        .split('\n')
        .filter((l) => l.startsWith('# TYPE citadel_llm_'))
        .map((l) => l.split(' ')[2]),
    );
    const referenced = referencedFamilies();
    expect(referenced.length).toBeGreaterThan(15);
    expect(referenced.filter((f) => !exported.has(f))).toEqual([]);
  });

  it('the dashboard has the panels an SRE looks for, on a model variable', () => {
    const dashboard = JSON.parse(readFileSync(join(MONITORING, 'grafana', 'citadel-llm-dashboard.json'), 'utf8')) as Dashboard;
    const titles = dashboard.panels.map((p) => p.title).join(' | ');
    for (const wanted of [/Requests per second/, /latency .* target/i, /Time to first token/, /Tokens per second/, /Streams/, /Refused per second/, /Engine replicas up/, /Engine stalled/]) {
      expect(titles).toMatch(wanted);
    }
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'model']);
  });

  describeWith(PROMETHEUS, 'prometheus')('a real Prometheus with config/monitoring/prometheus.yml', () => {
    let dir: string;
    let prometheus: ChildProcess | undefined;
    let api: string;
    let log = '';

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'citadel-prometheus-'));
      // The shipped file, with this run's ports for the shipped ones and a fast scrape.
      const ports: Record<string, string> = { '8000': new URL(server.gatewayUrl!).port };
      const shipped: Record<string, string> = { 'mixtral-8x7b': '11401', 'openchat-3.5': '11405', 'phi-3-mini': '11404', 'yi-34b': '11407' };
      for (const m of server.models) ports[shipped[m.id]] = new URL(m.metricsUrl).port;
      const config = parse(readFileSync(join(MONITORING, 'prometheus.yml'), 'utf8')) as { global: Record<string, string>; scrape_configs: ScrapeConfig[] };
      config.global.scrape_interval = '1s';
      config.global.scrape_timeout = '1s';
      config.global.evaluation_interval = '1s';
      for (const job of config.scrape_configs) {
        for (const group of job.static_configs) {
          group.targets = group.targets.map((t) => {
            const [host, port] = t.split(':');
            expect(host).toBe('localhost');
            expect(ports[port]).toBeDefined();
            return `127.0.0.1:${ports[port]}`;
          });
        }
      }
      writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
      copyFileSync(join(MONITORING, 'alerts.yml'), join(dir, 'alerts.yml'));
      const port = await getPort({ host: '127.0.0.1' });
      api = `http://127.0.0.1:${port}`;
      prometheus = spawn(PROMETHEUS!, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      prometheus.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
      await waitFor(async () => (await fetch(`${api}/-/ready`).catch(() => undefined))?.status === 200, 20_000, `Prometheus to be ready (${log})`);
    }, 30_000);

    afterAll(async () => {
      if (prometheus && prometheus.exitCode === null) {
        const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
        prometheus.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    });

    const query = async (expr: string) => (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { status: string; error?: string; data: { result: { metric: Record<string, string> }[] } };

    it('scrapes every target up, and citadel_llm_requests_total samples arrive for every model', async () => {
      type Targets = { data: { activeTargets: { labels: { job: string; service: string }; health: string; lastError: string }[] } };
      let targets: Targets['data']['activeTargets'] = [];
      await waitFor(
        async () => {
          targets = ((await (await fetch(`${api}/api/v1/targets?state=active`)).json()) as Targets).data.activeTargets;
          return targets.length === 5 && targets.every((t) => t.health === 'up');
        },
        20_000,
        'every target to be up',
      ).catch((error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify(targets.map((t) => [t.labels.service, t.health, t.lastError]))}`);
      });
      expect(targets.map((t) => `${t.labels.job}/${t.labels.service}`).sort()).toEqual([
        'citadel-llm-gateway/gateway',
        'citadel-llm/mixtral-8x7b',
        'citadel-llm/openchat-3.5',
        'citadel-llm/phi-3-mini',
        'citadel-llm/yi-34b',
      ]);

      let models: string[] = [];
      await waitFor(
        async () => {
          const result = await query('citadel_llm_requests_total{job="citadel-llm"}');
          models = [...new Set(result.data.result.map((r) => r.metric.model))].sort();
          return models.length === 4;
        },
        10_000,
        'citadel_llm_requests_total for every model',
      );
      expect(models).toEqual(['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b']);
      // Each model's port holds only its own series: the service label and the model label agree.
      const own = await query('citadel_llm_requests_total{job="citadel-llm"}');
      expect(own.data.result.every((r) => r.metric.service === r.metric.model)).toBe(true);
    }, 40_000);

    it('loads the alerting rules, and evaluates them without error', async () => {
      type Rules = { data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] } };
      let groups: Rules['data']['groups'] = [];
      await waitFor(
        async () => {
          groups = ((await (await fetch(`${api}/api/v1/rules`)).json()) as Rules).data.groups;
          return groups.length === 1 && groups[0].rules.every((r) => r.health === 'ok');
        },
        10_000,
        'the rules to be evaluated',
      ).catch((error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify(groups)}`);
      });
      expect(groups[0].rules.map((r) => r.name)).toEqual(expect.arrayContaining(['CitadelLLMEngineDown', 'CitadelLLMHighErrorRatio', 'CitadelLLMLatencyOverTarget', 'CitadelLLMThrottling', 'CitadelLLMEngineStalled']));
    }, 20_000);

    it('runs every dashboard query without error', async () => {
      const failures: string[] = [];
      for (const { title, expr } of dashboardQueries()) {
        const result = await query(expr);
        if (result.status !== 'success') failures.push(`${title}: ${result.error}`);
      }
      expect(failures).toEqual([]);
      // And the request rate panel has data once two scrapes are in.
      const rate = dashboardQueries().find((q) => q.title === 'Requests per second')!.expr;
      await waitFor(async () => (await query(rate)).data.result.length === 4, 10_000, 'a request rate for every model');
    });
  });
});
