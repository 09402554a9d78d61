import { CitadelConfig } from '../config/citadel-config';

export interface ServiceListing {
  name: string;
  unit: string;
  port: number;
  metrics_port: number;
  memory_gb: number;
  cpu_cores: number;
  context_length: number;
  engine_mode: string;
  served_model: string;
}

/** Seed 1.1's `ServiceManager.listServices()`: one row per configured model service. */
export function listServices(config: CitadelConfig): ServiceListing[] {
  return config.models.map((m) => ({
    name: m.id,
    unit: `citadel-llm@${m.id}.service`,
    port: m.service.port,
    metrics_port: m.monitoring.prometheus_port,
    memory_gb: m.performance.memory_limit_gb,
    cpu_cores: m.performance.cpu_cores,
    context_length: m.model.max_model_len,
    engine_mode: m.engine.mode,
    served_model: m.model.name,
  }));
}

export function formatServiceTable(rows: ServiceListing[]): string {
  const header = ['SERVICE', 'PORT', 'METRICS', 'MEMORY', 'CORES', 'CONTEXT', 'ENGINE', 'MODEL'];
  const lines = rows.map((r) => [r.name, String(r.port), String(r.metrics_port), `${r.memory_gb} GB`, String(r.cpu_cores), String(r.context_length), r.engine_mode, r.served_model]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [header, ...lines].map((cols) => cols.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}
