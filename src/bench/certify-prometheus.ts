/**
 * TC-L1-COMP-MIXTRAL-003's `monitoring_url`: the requests, completion tokens and latency certify
 * measured must also be in Prometheus, read through its HTTP API (`/api/v1/query`), not only on
 * the service's /metrics. Prometheus holds what it scraped, so certify waits (bounded) for a
 * scrape taken after each mark: one before the run, one after it. Times are Prometheus's own
 * (`time()`), so a clock difference between this host and Prometheus cannot shift the marks.
 *
 * The series are those of certify-monitoring.ts (Citadel's, else vLLM's), per scrape target
 * (`job`, `instance`): the check uses the first target that counted every request certify sent
 * (a process scraped on several ports counts them on each), and otherwise the sum over targets
 * (replicas behind one URL each count a share).
 */
import { request } from 'undici';
import { compareWithMetrics, MeasuredRun, MetricsTotals, MonitoringCheck } from './certify-monitoring';

export interface PrometheusOptions {
  /** Prometheus's base URL (`http://prometheus:9090`). */
  url: string;
  modelId: string;
  servedName: string;
  /** More PromQL label matchers for every query (`job="citadel-llm"`). */
  selector?: string;
  /** How long to wait for a scrape after a mark. */
  waitMs: number;
  /** Between two looks at Prometheus while waiting. */
  pollMs?: number;
}

/** What Prometheus held for each target at a mark. */
export interface PrometheusMark {
  families: 'citadel' | 'vllm';
  /** Prometheus's time of the mark (seconds). */
  at: number;
  targets: Map<string, MetricsTotals>;
  /** Targets with no scrape after the mark within the wait. */
  stale: string[];
}

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

const FAMILIES = {
  citadel: {
    label: 'model',
    fresh: 'citadel_llm_tokens_total',
    freshMatch: 'type="completion"',
    requests: ['citadel_llm_requests_total', 'endpoint="chat_completions"'],
    tokens: ['citadel_llm_tokens_total', 'type="completion"'],
    latencySum: ['citadel_llm_request_duration_seconds_sum', 'endpoint="chat_completions"'],
    latencyCount: ['citadel_llm_request_duration_seconds_count', 'endpoint="chat_completions"'],
  },
  vllm: {
    label: 'model_name',
    fresh: 'vllm:generation_tokens_total',
    freshMatch: '',
    requests: ['vllm:request_success_total', ''],
    tokens: ['vllm:generation_tokens_total', ''],
    latencySum: ['vllm:e2e_request_latency_seconds_sum', ''],
    latencyCount: ['vllm:e2e_request_latency_seconds_count', ''],
  },
} as const;

type Family = keyof typeof FAMILIES;

export class PrometheusApi {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /** An instant query; resolves with the result, rejects with Prometheus's error or the HTTP failure. */
  async query(expr: string): Promise<{ resultType: string; result: unknown }> {
    const url = new URL('api/v1/query', this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    url.searchParams.set('query', expr);
    const res = await request(url, { headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
    const text = await res.body.text();
    let body: { status?: string; data?: { resultType: string; result: unknown }; error?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new Error(`${url.origin}: HTTP ${res.statusCode}, not Prometheus's API (${text.slice(0, 80)})`);
    }
    if (body.status !== 'success' || !body.data) throw new Error(`${url.origin}: ${body.error ?? `HTTP ${res.statusCode}`} (query ${expr})`);
    return body.data;
  }

  async vector(expr: string): Promise<VectorSample[]> {
    const data = await this.query(expr);
    return data.resultType === 'vector' ? (data.result as VectorSample[]) : [];
  }

  /** Prometheus's clock, in seconds. */
  async now(): Promise<number> {
    const data = await this.query('time()');
    return Number((data.result as [number, string])[0]);
  }
}

function targetKey(metric: Record<string, string>): string {
  return `job="${metric.job ?? ''}", instance="${metric.instance ?? ''}"`;
}

function matchers(o: PrometheusOptions, family: Family, extra: string): string {
  const own = `${FAMILIES[family].label}="${(family === 'citadel' ? o.modelId : o.servedName).replace(/["\\]/g, '\\$&')}"`;
  return `{${[own, extra, o.selector?.trim()].filter(Boolean).join(', ')}}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until Prometheus holds a scrape of every target of the model taken after Prometheus's
 * `now` at the call (or the wait ends), then reads the totals per target.
 */
export async function markPrometheus(api: PrometheusApi, o: PrometheusOptions): Promise<PrometheusMark> {
  const at = await api.now();
  const deadline = Date.now() + o.waitMs;
  let family: Family | undefined;
  let times = new Map<string, number>();
  for (;;) {
    for (const f of family ? [family] : (Object.keys(FAMILIES) as Family[])) {
      const def = FAMILIES[f];
      const found = await api.vector(`max by (job, instance) (timestamp(${def.fresh}${matchers(o, f, def.freshMatch)}))`);
      if (found.length) {
        family = f;
        times = new Map(found.map((s) => [targetKey(s.metric), Number(s.value[1])]));
        break;
      }
    }
    const fresh = [...times.values()].filter((t) => t >= at).length;
    if ((times.size > 0 && fresh === times.size) || Date.now() >= deadline) break;
    await sleep(o.pollMs ?? 500);
  }
  if (!family) {
    throw new Error(`Prometheus has no series of model "${o.modelId}" (${FAMILIES.citadel.fresh}{model="${o.modelId}"} nor ${FAMILIES.vllm.fresh}{model_name="${o.servedName}"})`);
  }
  const freshTargets = [...times].filter(([, t]) => t >= at).map(([k]) => k);
  const stale = [...times.keys()].filter((k) => !freshTargets.includes(k));
  if (freshTargets.length === 0) {
    throw new Error(`Prometheus scraped no target of model "${o.modelId}" within ${Math.round(o.waitMs / 1000)} s (targets: ${stale.join('; ')})`);
  }
  const def = FAMILIES[family];
  const read = async ([name, extra]: readonly [string, string]) =>
    new Map((await api.vector(`sum by (job, instance) (${name}${matchers(o, family, extra)})`)).map((s) => [targetKey(s.metric), Number(s.value[1])]));
  const [requests, tokens, latencySum, latencyCount] = await Promise.all([read(def.requests), read(def.tokens), read(def.latencySum), read(def.latencyCount)]);
  const targets = new Map<string, MetricsTotals>();
  for (const key of freshTargets) {
    // A counter with no sample yet (no request of that kind so far) is 0.
    targets.set(key, {
      families: family,
      requests: requests.get(key) ?? 0,
      completionTokens: tokens.get(key) ?? 0,
      latencySumSeconds: latencySum.get(key) ?? 0,
      latencyCount: latencyCount.get(key) ?? 0,
    });
  }
  return { families: family, at, targets, stale };
}

function sumTotals(list: MetricsTotals[], families: MetricsTotals['families']): MetricsTotals {
  return list.reduce(
    (a, t) => ({
      families,
      requests: a.requests + t.requests,
      completionTokens: a.completionTokens + t.completionTokens,
      latencySumSeconds: a.latencySumSeconds + t.latencySumSeconds,
      latencyCount: a.latencyCount + t.latencyCount,
    }),
    { families, requests: 0, completionTokens: 0, latencySumSeconds: 0, latencyCount: 0 },
  );
}

/** What Prometheus counted between the marks against what certify measured (the rules of compareWithMetrics). */
export function compareWithPrometheus(url: string, before: PrometheusMark | undefined, after: PrometheusMark | undefined, measured: MeasuredRun, error?: string): MonitoringCheck {
  if (!before || !after || before.families !== after.families) {
    return compareWithMetrics(url, undefined, undefined, measured, error ?? 'the families changed during the run');
  }
  const zero: MetricsTotals = { families: after.families, requests: 0, completionTokens: 0, latencySumSeconds: 0, latencyCount: 0 };
  const expected = after.families === 'vllm' ? measured.succeeded : measured.requests;
  const keys = [...after.targets.keys()].sort();
  const notes: string[] = [];
  const newTargets = keys.filter((k) => !before.targets.has(k));
  if (newTargets.length) notes.push(`no scrape before the run of ${newTargets.join('; ')}: counted from 0`);
  if (after.stale.length) notes.push(`not scraped after the run within the wait: ${after.stale.join('; ')}`);
  const delta = (k: string) => after.targets.get(k)!.requests - (before.targets.get(k) ?? zero).requests;
  const whole = keys.find((k) => delta(k) >= expected);
  let check: MonitoringCheck;
  if (whole) {
    check = compareWithMetrics(`${url} (${whole})`, before.targets.get(whole) ?? zero, after.targets.get(whole)!, measured);
  } else {
    const source = keys.length === 1 ? `${url} (${keys[0]})` : `${url} (the sum of ${keys.length} targets: ${keys.join('; ')})`;
    check = compareWithMetrics(
      source,
      sumTotals(keys.map((k) => before.targets.get(k) ?? zero), after.families),
      sumTotals(keys.map((k) => after.targets.get(k)!), after.families),
      measured,
    );
  }
  check.notes.push(...notes);
  return check;
}
