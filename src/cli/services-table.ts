import type { ServiceInfo } from '../services/core/service-manager/service-manager';

/** `services list` as a table an operator reads. */
export function formatServiceTable(rows: ServiceInfo[]): string {
  const header = ['SERVICE', 'PORT', 'METRICS', 'MEMORY', 'CORES', 'CONTEXT', 'ENGINE', 'MODEL'];
  const lines = rows.map((r) => [r.name, String(r.port), String(r.metrics_port), `${r.memory_gb} GB`, String(r.cpu_cores), String(r.context_length), r.engine_mode, r.served_model]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [header, ...lines].map((cols) => cols.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}
