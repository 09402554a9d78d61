import { parse as parseYaml, stringify } from 'yaml';

/**
 * The Prometheus Operator's objects for deploy/kubernetes/, made from config/monitoring (one
 * source of truth for systemd and Kubernetes alike):
 * - a PrometheusRule whose spec.groups are alerts.yml's groups, unchanged;
 * - one ServiceMonitor per scrape job of prometheus.yml, selecting the Services the job's targets
 *   are in Kubernetes, with the same job name, path, interval, timeout and `service` label.
 */

/** A ServiceMonitor's Services and port, for each value of the `service` label in prometheus.yml. */
export interface ScrapeTargetKind {
  component: 'model' | 'gateway';
  /** The Service port's name (ServiceMonitor endpoints name ports, not numbers). */
  port: 'metrics' | 'http';
}

/** `service: gateway` is the gateway's Service; any other value is a model id, its Service's name. */
export function targetKind(service: string): ScrapeTargetKind {
  return service === 'gateway' ? { component: 'gateway', port: 'http' } : { component: 'model', port: 'metrics' };
}

const PART_OF = { 'app.kubernetes.io/part-of': 'citadel-llm' };
const HEADER = '# Generated from config/monitoring by `npm run kube:monitoring`; edit the source, not this file.\n';

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  scrape_interval?: string;
  scrape_timeout?: string;
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
}

export function prometheusRule(alertsYaml: string): string {
  const { groups } = parseYaml(alertsYaml) as { groups: unknown[] };
  const rule = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'citadel-llm', labels: PART_OF },
    spec: { groups },
  };
  return HEADER + stringify(rule, { lineWidth: 0 });
}

export function serviceMonitors(prometheusYaml: string): string {
  const config = parseYaml(prometheusYaml) as { global?: Record<string, string>; scrape_configs: ScrapeConfig[] };
  const global = config.global ?? {};
  const docs = config.scrape_configs.map((job) => {
    const services = (job.static_configs ?? []).map((s) => s.labels?.service ?? '');
    const kinds = [...new Set(services.map((s) => JSON.stringify(targetKind(s))))];
    if (kinds.length !== 1) throw new Error(`prometheus.yml job ${job.job_name}: its targets must be all models or the gateway`);
    const kind = JSON.parse(kinds[0]) as ScrapeTargetKind;
    // The operator names a target's `service` label after its Service, whose name cannot hold a
    // "." (openchat-3.5's is openchat-3-5); the alerts and the dashboard know each service by its
    // id, which is the Service's app.kubernetes.io/instance label (`gateway` for the gateway).
    const relabelings = [
      { targetLabel: 'job', replacement: job.job_name },
      { sourceLabels: ['__meta_kubernetes_service_label_app_kubernetes_io_instance'], targetLabel: 'service' },
    ];
    const endpoint: Record<string, unknown> = {
      port: kind.port,
      path: job.metrics_path ?? '/metrics',
      interval: job.scrape_interval ?? global.scrape_interval,
      scrapeTimeout: job.scrape_timeout ?? global.scrape_timeout,
      relabelings,
    };
    return {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: job.job_name, labels: PART_OF },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': 'citadel-llm', 'app.kubernetes.io/component': kind.component } },
        endpoints: [endpoint],
      },
    };
  });
  return HEADER + docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}
