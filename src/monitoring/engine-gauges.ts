/**
 * vLLM's own load gauges, out of an engine replica's /metrics text. The names are vLLM's
 * (vllm/v1/metrics/loggers.py): `vllm:num_requests_running`, `vllm:num_requests_waiting` and
 * `vllm:kv_cache_usage_perc` (a fraction, 1 = full, despite its name).
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface EngineGauges {
  /** Requests the engine is running (prefill or decode) now. */
  running?: number;
  /** Requests waiting in the engine's queue for a slot. */
  waiting?: number;
  /** Share of the KV cache in use, 0..1. */
  kvCacheUsage?: number;
}

const GAUGES = {
  running: 'vllm:num_requests_running',
  waiting: 'vllm:num_requests_waiting',
  kvCacheUsage: 'vllm:kv_cache_usage_perc',
} as const;

/**
 * The gauges of one replica. An engine serves one model, but vLLM labels its series by
 * `model_name` and, with data parallelism, by `engine` (one series per engine core): requests
 * are summed over the series, the KV cache usage averaged. A gauge the text lacks is left out.
 */
export function readEngineGauges(text: string): EngineGauges {
  const wanted = new Set<string>(Object.values(GAUGES));
  // Only the gauges' own lines: the parser folds histograms in ways we do not need here.
  const lines = text.split('\n').filter((line) => {
    const name = /^(?:#\s*(?:TYPE|HELP)\s+)?([^\s{]+)/.exec(line)?.[1];
    return name !== undefined && wanted.has(name);
  });
  const families = parsePrometheusTextFormat(lines.join('\n') + '\n');
  const values = (name: string) =>
    families
      .filter((f) => f.name === name)
      .flatMap((f) => f.metrics.map((m) => Number(m.value)))
      .filter((v) => Number.isFinite(v));
  const out: EngineGauges = {};
  const sum = (name: string) => {
    const v = values(name);
    return v.length ? v.reduce((a, b) => a + b, 0) : undefined;
  };
  const mean = (name: string) => {
    const v = values(name);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined;
  };
  const running = sum(GAUGES.running);
  const waiting = sum(GAUGES.waiting);
  const kv = mean(GAUGES.kvCacheUsage);
  if (running !== undefined) out.running = running;
  if (waiting !== undefined) out.waiting = waiting;
  if (kv !== undefined) out.kvCacheUsage = kv;
  return out;
}
