/**
 * TC-L1-COMP-MIXTRAL-003's "performance metrics are correctly reported to monitoring systems":
 * the service's /metrics is read before and after the run, and what certify measured (requests
 * sent, completion tokens in the answers' usage, mean latency) must appear in the difference.
 *
 * Citadel's own families are read (`citadel_llm_requests_total`, `citadel_llm_tokens_total`,
 * `citadel_llm_request_duration_seconds`, label `model` = the model id), else vLLM's
 * (`vllm:request_success_total`, `vllm:generation_tokens_total`,
 * `vllm:e2e_request_latency_seconds`, label `model_name` = the served name), so the check works
 * against a model port, the gateway or vLLM itself. Other traffic during the run can only add to
 * the counters: more than certify sent is accepted (and noted), less is a mismatch.
 */
import { request } from 'undici';
import { apiBase } from './chat-client';
import { parsePrometheusText, PromSample } from './prometheus-text';

export interface MetricsTotals {
  /** Which families were read. */
  families: 'citadel' | 'vllm';
  requests: number;
  completionTokens: number;
  latencySumSeconds: number;
  latencyCount: number;
}

export interface MonitoringCheck {
  source: string;
  families?: 'citadel' | 'vllm';
  requests: { sent: number; reported?: number };
  completion_tokens: { in_answers: number; reported?: number };
  /** The server's mean (its histogram's sum ÷ count) must not exceed the client's: it sees a part of each request. */
  mean_latency_ms: { client?: number; server?: number };
  mismatches: string[];
  notes: string[];
}

/** Latency slack: the server's and the client's clocks round differently. */
const LATENCY_SLACK_MS = 5;

function sum(samples: readonly PromSample[], name: string, labels: Record<string, string>): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hits.length ? hits.reduce((a, s) => a + s.value, 0) : undefined;
}

export function readTotals(samples: readonly PromSample[], modelId: string, servedName: string): MetricsTotals | undefined {
  const own = { model: modelId };
  // A counter has no sample before its first request: the model's zero-valued series show it is ours.
  if (samples.some((s) => s.name.startsWith('citadel_llm_') && s.labels.model === modelId)) {
    return {
      families: 'citadel',
      requests: sum(samples, 'citadel_llm_requests_total', { ...own, endpoint: 'chat_completions' }) ?? 0,
      completionTokens: sum(samples, 'citadel_llm_tokens_total', { ...own, type: 'completion' }) ?? 0,
      latencySumSeconds: sum(samples, 'citadel_llm_request_duration_seconds_sum', { ...own, endpoint: 'chat_completions' }) ?? 0,
      latencyCount: sum(samples, 'citadel_llm_request_duration_seconds_count', { ...own, endpoint: 'chat_completions' }) ?? 0,
    };
  }
  const vllm = { model_name: servedName };
  const succeeded = sum(samples, 'vllm:request_success_total', vllm);
  if (succeeded === undefined) return undefined;
  return {
    families: 'vllm',
    requests: succeeded,
    completionTokens: sum(samples, 'vllm:generation_tokens_total', vllm) ?? 0,
    latencySumSeconds: sum(samples, 'vllm:e2e_request_latency_seconds_sum', vllm) ?? 0,
    latencyCount: sum(samples, 'vllm:e2e_request_latency_seconds_count', vllm) ?? 0,
  };
}

export function metricsUrl(url: string): string {
  const { origin, prefix } = apiBase(url);
  return `${origin}${prefix}/metrics`;
}

/** The service's totals now; undefined (with the reason) when /metrics cannot be read or holds neither family. */
export async function snapshotMetrics(url: string, modelId: string, servedName: string, apiKey?: string): Promise<{ totals?: MetricsTotals; error?: string }> {
  try {
    const res = await request(metricsUrl(url), {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) return { error: `HTTP ${res.statusCode}` };
    const totals = readTotals(parsePrometheusText(text), modelId, servedName);
    return totals ? { totals } : { error: `no citadel_llm_* series of model "${modelId}" nor vllm:request_success_total{model_name="${servedName}"}` };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

export interface MeasuredRun {
  /** Chat requests certify sent, and those answered with 200 (vLLM counts only those). */
  requests: number;
  succeeded: number;
  /** The sum of usage.completion_tokens over the answers. */
  completionTokens: number;
  meanLatencyMs?: number;
}

/** What /metrics counted between two snapshots against what certify measured. */
export function compareWithMetrics(source: string, before: MetricsTotals | undefined, after: MetricsTotals | undefined, measured: MeasuredRun, error?: string): MonitoringCheck {
  const check: MonitoringCheck = {
    source,
    requests: { sent: measured.requests },
    completion_tokens: { in_answers: measured.completionTokens },
    mean_latency_ms: { client: measured.meanLatencyMs },
    mismatches: [],
    notes: [],
  };
  if (!before || !after || before.families !== after.families) {
    check.mismatches.push(`performance metrics not reported: ${error ?? 'the families changed during the run'}`);
    return check;
  }
  check.families = after.families;
  const requests = after.requests - before.requests;
  const tokens = after.completionTokens - before.completionTokens;
  const count = after.latencyCount - before.latencyCount;
  const serverMeanMs = count > 0 ? ((after.latencySumSeconds - before.latencySumSeconds) / count) * 1000 : undefined;
  check.requests.reported = requests;
  check.completion_tokens.reported = tokens;
  check.mean_latency_ms.server = serverMeanMs;
  // vLLM counts successes only; Citadel every answer.
  const expected = after.families === 'vllm' ? measured.succeeded : measured.requests;
  if (requests < expected) check.mismatches.push(`requests: ${requests} counted, ${expected} sent`);
  else if (requests > expected) check.notes.push(`requests: ${requests} counted, ${expected} sent (other traffic during the run)`);
  if (tokens < measured.completionTokens) check.mismatches.push(`completion tokens: ${tokens} counted, ${measured.completionTokens} in the answers' usage`);
  if (serverMeanMs === undefined) check.mismatches.push('latency: no request timed in the latency histogram');
  else if (measured.meanLatencyMs !== undefined && serverMeanMs > measured.meanLatencyMs + LATENCY_SLACK_MS) {
    check.mismatches.push(`latency: the server's mean ${serverMeanMs.toFixed(1)} ms exceeds the client's ${measured.meanLatencyMs.toFixed(1)} ms`);
  }
  return check;
}
