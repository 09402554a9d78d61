/**
 * Writes deploy/kubernetes/base/monitoring/ from config/monitoring (`npm run kube:monitoring`):
 * the ServiceMonitors from prometheus.yml, the PrometheusRule from alerts.yml.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { prometheusRule, serviceMonitors } from '../services/core/service-manager/kubernetes-monitoring';

/** The repository (src/cli/ and dist/cli/ both sit two levels below it). */
const ROOT = resolve(__dirname, '..', '..');
export const MONITORING_SOURCE = join(ROOT, 'config', 'monitoring');
export const MONITORING_TARGET = join(ROOT, 'deploy', 'kubernetes', 'base', 'monitoring');

/** The generated files, by name, from the source folder's files. */
export function renderKubernetesMonitoring(source = MONITORING_SOURCE): Record<string, string> {
  return {
    'servicemonitors.yaml': serviceMonitors(readFileSync(join(source, 'prometheus.yml'), 'utf8')),
    'prometheusrule.yaml': prometheusRule(readFileSync(join(source, 'alerts.yml'), 'utf8')),
  };
}

if (require.main === module) {
  for (const [name, text] of Object.entries(renderKubernetesMonitoring())) {
    writeFileSync(join(MONITORING_TARGET, name), text);
    process.stdout.write(`wrote ${join(MONITORING_TARGET, name)}\n`);
  }
}
