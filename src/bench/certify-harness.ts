/**
 * TC-L1-COMP-MIXTRAL-003 against a running service, for any model: the seed's five steps over
 * HTTP (single request, batch throughput, concurrent latency, resources, quality), the seed's
 * report fields, and a criterion per check.
 */
import { request } from 'undici';
import { apiBase, ChatClient, TimedAnswer } from './chat-client';
import { CERTIFY_TEST_CASE, CertifyTargets, DEGRADATION_MAX_RATIO, degradationRatio, CertifyTargetSources, CertifyVerdict, evaluateCertification, PromptQuality } from './certify-evaluation';
import { compareWithMetrics, metricsUrl, MonitoringCheck, snapshotMetrics } from './certify-monitoring';
import { compareWithPrometheus, markPrometheus, PrometheusApi, PrometheusMark, PrometheusOptions } from './certify-prometheus';
import { FLUENCY_METHOD } from './fluency-heuristic';
import type { Progress } from './progress';
import { CERTIFY_PROMPTS, PromptSet } from './prompts';
import { QUALITY_METHOD, QualityScore, scoreAnswer } from './quality-heuristic';
import type { ReferenceSet } from './reference-facts';
import { ResourceMonitor, ResourceReport, ResourceSource } from './resource-monitor';
import { mean, round, summarize } from './stats';

export interface CertifyOptions {
  modelId: string;
  /** Sent as `model`. */
  servedName: string;
  url: string;
  prompts: PromptSet;
  /** Reference facts of the prompts, for the quality heuristic's coverage. */
  references: ReferenceSet;
  /** Step 2's batch size (the seed: 50). */
  requests: number;
  /** Step 3's concurrent requests (the seed: 10). */
  concurrency: number;
  maxTokens: number;
  temperature: number;
  timeoutMs: number;
  apiKey?: string;
  /** Where memory and CPU are read; undefined: not measured (those criteria fail). */
  resources?: ResourceSource;
  targets: CertifyTargets;
  targetSources: CertifyTargetSources;
  progress: Progress;
  sampleIntervalMs?: number;
  /** The test case's monitoring_url: Prometheus, read after the run (the model's ids are added). */
  prometheus?: Omit<PrometheusOptions, 'modelId' | 'servedName'>;
}

export interface CertifyReport extends CertifyVerdict {
  test_case: string;
  model: string;
  url: string;
  /** Unix seconds, as the seed's report. */
  timestamp: number;
  started_at: string;
  finished_at: string;
  quality_method: string;
  fluency_method: string;
  /** The seed's "performance metrics correctly reported to monitoring": /metrics against what certify measured. */
  monitoring: MonitoringCheck;
  /** The same check against Prometheus's HTTP API (with --monitoring-url). */
  monitoring_prometheus?: MonitoringCheck;
  /** Every distinct prompt's answers, scored: the average quality weighs each prompt once. */
  quality_per_prompt: { prompt: string; answers: number; mean_score?: number; worst_notes: string[] }[];
  settings: { requests: number; concurrency: number; max_tokens: number; temperature: number; timeout_ms: number };
  steps: Record<string, unknown>;
}

const GB = 1024 ** 3;

function promptOf(set: PromptSet, [category, level]: readonly [string, string]): string {
  return set[category][level];
}

/** Scores every answer against its prompt's reference facts and averages them per distinct prompt. */
function qualityPerPrompt(scored: { key: string; prompt: string; answer: TimedAnswer }[], references: ReferenceSet, maxTokens: number): PromptQuality[] {
  const byPrompt = new Map<string, QualityScore[]>();
  for (const s of scored) {
    const q = scoreAnswer(s.answer.body, s.prompt, maxTokens, references.get(s.prompt));
    byPrompt.set(s.key, [...(byPrompt.get(s.key) ?? []), q]);
  }
  return [...byPrompt].map(([prompt, scores]) => {
    const worst = scores.reduce((a, b) => (b.score < a.score ? b : a));
    return { prompt, answers: scores.length, meanScore: mean(scores.map((q) => q.score))!, worstNotes: worst.notes };
  });
}

function answerSummary(a: TimedAnswer) {
  return { ok: a.ok, status: a.status, latency_ms: round(a.latencyMs, 1), ...(a.error ? { error: a.error } : {}) };
}

function firstErrors(answers: TimedAnswer[]): string[] {
  return [...new Set(answers.filter((a) => !a.ok).map((a) => a.error ?? `HTTP ${a.status}`))].slice(0, 5);
}

function completionTokens(a: TimedAnswer): number {
  const n = (a.body as { usage?: { completion_tokens?: unknown } } | undefined)?.usage?.completion_tokens;
  return typeof n === 'number' ? n : 0;
}

/** Fails fast with a clear message when nothing answers at the URL. */
async function preflight(url: string, timeoutMs: number): Promise<void> {
  const { origin, prefix } = apiBase(url);
  try {
    const res = await request(`${origin}${prefix}/health`, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    await res.body.dump();
  } catch (error) {
    throw new Error(`cannot reach the service at ${url}: ${(error as Error).message}`);
  }
}

export async function runCertification(o: CertifyOptions): Promise<CertifyReport> {
  const started = new Date();
  await preflight(o.url, Math.min(o.timeoutMs, 10_000));
  const client = new ChatClient({ url: o.url, model: o.servedName, apiKey: o.apiKey, timeoutMs: o.timeoutMs }, Math.max(o.requests, o.concurrency, 1));
  const monitor = o.resources ? new ResourceMonitor(o.resources, o.sampleIntervalMs ?? 500) : undefined;
  const params = { maxTokens: o.maxTokens, temperature: o.temperature };
  const scored: { key: string; prompt: string; answer: TimedAnswer }[] = [];
  const log = o.progress;
  let resources: ResourceReport | undefined;
  const before = await snapshotMetrics(o.url, o.modelId, o.servedName, o.apiKey);
  const prometheus = o.prometheus && { api: new PrometheusApi(o.prometheus.url), options: { ...o.prometheus, modelId: o.modelId, servedName: o.servedName } };
  const markPrometheusNow = async (): Promise<{ mark?: PrometheusMark; error?: string }> => {
    try {
      return { mark: await markPrometheus(prometheus!.api, prometheus!.options) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  if (prometheus) log(`monitoring: waiting for ${o.prometheus!.url} to scrape the service before the run`);
  const promBefore = prometheus ? await markPrometheusNow() : undefined;
  try {
    await monitor?.start();
    if (!monitor) log('resources: no source (give --pid, or a service with /metrics): memory and CPU are not measured');

    // Step 1: single request, the complex reasoning prompt.
    const singlePrompt = promptOf(o.prompts, CERTIFY_PROMPTS.single);
    log('step 1/5: single request (reasoning.complex)');
    const single = await client.chat(singlePrompt, params);
    scored.push({ key: CERTIFY_PROMPTS.single.join('.'), prompt: singlePrompt, answer: single });
    log(`  ${single.ok ? 'ok' : `failed: ${single.error}`} in ${single.latencyMs.toFixed(0)} ms`);

    // Step 2: throughput of a concurrent batch of the simple prompt.
    const simple = promptOf(o.prompts, CERTIFY_PROMPTS.throughput);
    log(`step 2/5: ${o.requests} concurrent requests (reasoning.simple)`);
    const t2 = performance.now();
    let finished = 0;
    const batch = await Promise.all(
      Array.from({ length: o.requests }, () =>
        client.chat(simple, params).then((a) => {
          finished += 1;
          if (finished % Math.max(1, Math.ceil(o.requests / 5)) === 0 && finished < o.requests) log(`  ${finished}/${o.requests} answered`);
          return a;
        }),
      ),
    );
    const batchWallMs = performance.now() - t2;
    const throughputRps = o.requests / (batchWallMs / 1000);
    const degradation = degradationRatio(batch.map((a) => a.latencyMs));
    for (const a of batch) scored.push({ key: CERTIFY_PROMPTS.throughput.join('.'), prompt: simple, answer: a });
    log(`  ${batch.filter((a) => a.ok).length}/${o.requests} ok in ${batchWallMs.toFixed(0)} ms: ${throughputRps.toFixed(1)} req/s`);

    // Step 3: the mean latency of concurrent requests of the medium analysis prompt.
    const medium = promptOf(o.prompts, CERTIFY_PROMPTS.concurrent);
    log(`step 3/5: ${o.concurrency} concurrent requests (analysis.medium)`);
    const t3 = performance.now();
    const concurrent = await Promise.all(Array.from({ length: o.concurrency }, () => client.chat(medium, params)));
    const concurrentWallMs = performance.now() - t3;
    for (const a of concurrent) scored.push({ key: CERTIFY_PROMPTS.concurrent.join('.'), prompt: medium, answer: a });
    const concurrentMean = mean(concurrent.map((a) => a.latencyMs));
    log(`  ${concurrent.filter((a) => a.ok).length}/${o.concurrency} ok, mean latency ${concurrentMean?.toFixed(0)} ms`);

    // Step 4: resources over the workload of steps 1-3 (the seed: baseline, workload, peak).
    resources = monitor ? await monitor.stop() : undefined;
    log(
      `step 4/5: resources: ${
        resources?.peakRssBytes !== undefined
          ? `peak memory ${(resources.peakRssBytes / GB).toFixed(3)} GB, peak CPU ${resources.peakCpuCores?.toFixed(2) ?? 'n/a'} cores (${resources.source})`
          : 'not measured'
      }`,
    );

    // Step 5: the creative prompt's answer, scored against its reference facts.
    const creative = promptOf(o.prompts, CERTIFY_PROMPTS.quality);
    log('step 5/5: response quality (generation.creative)');
    const qualityAnswer = await client.chat(creative, params);
    scored.push({ key: CERTIFY_PROMPTS.quality.join('.'), prompt: creative, answer: qualityAnswer });
    const quality: QualityScore = scoreAnswer(qualityAnswer.body, creative, o.maxTokens, o.references.get(creative));
    log(`  heuristic score ${quality.score.toFixed(2)}${quality.notes.length ? ` (${quality.notes.join('; ')})` : ''}`);

    const promptQuality = qualityPerPrompt(scored, o.references, o.maxTokens);
    for (const p of promptQuality) log(`  ${p.prompt}: mean heuristic score ${p.meanScore.toFixed(2)} over ${p.answers} answer(s)`);
    const all = scored.map((s) => s.answer);

    // After the run: did the service's monitoring count what certify measured?
    const after = await snapshotMetrics(o.url, o.modelId, o.servedName, o.apiKey);
    const measured = {
      requests: all.length,
      succeeded: all.filter((a) => a.ok).length,
      completionTokens: all.reduce((n, a) => n + completionTokens(a), 0),
      meanLatencyMs: mean(all.map((a) => a.latencyMs)),
    };
    const monitoring = compareWithMetrics(
      metricsUrl(o.url),
      before.totals,
      after.totals,
      measured,
      after.error ?? before.error,
    );
    log(`monitoring: ${monitoring.mismatches.length ? monitoring.mismatches.join('; ') : `requests, tokens and latency counted at ${monitoring.source}`}`);
    let monitoringPrometheus: MonitoringCheck | undefined;
    if (prometheus) {
      log(`monitoring: waiting for ${o.prometheus!.url} to scrape the service after the run`);
      const promAfter = await markPrometheusNow();
      monitoringPrometheus = compareWithPrometheus(o.prometheus!.url, promBefore?.mark, promAfter.mark, measured, promAfter.error ?? promBefore?.error);
      monitoringPrometheus.mismatches = monitoringPrometheus.mismatches.map((m) => `Prometheus: ${m}`);
      log(`monitoring: ${monitoringPrometheus.mismatches.length ? monitoringPrometheus.mismatches.join('; ') : `requests, tokens and latency held by ${monitoringPrometheus.source}`}`);
    }
    const verdict = evaluateCertification(
      {
        singleLatencyMs: single.latencyMs,
        throughputRps,
        degradationRatio: degradation,
        concurrentMeanLatencyMs: concurrentMean,
        peakMemoryBytes: resources?.peakRssBytes,
        peakCpuCores: resources?.peakCpuCores,
        qualityScore: quality.score,
        qualityNotes: quality.notes,
        promptQuality,
        validResponses: all.filter((a) => a.ok).length,
        totalRequests: all.length,
        monitoringMismatches: monitoring.mismatches,
        prometheusMismatches: monitoringPrometheus?.mismatches,
      },
      o.targets,
      o.targetSources,
    );
    const finishedAt = new Date();
    return {
      test_case: CERTIFY_TEST_CASE,
      model: o.modelId,
      url: o.url,
      timestamp: Math.floor(finishedAt.getTime() / 1000),
      started_at: started.toISOString(),
      finished_at: finishedAt.toISOString(),
      ...verdict,
      quality_method: QUALITY_METHOD,
      fluency_method: FLUENCY_METHOD,
      monitoring: roundCheck(monitoring),
      ...(monitoringPrometheus ? { monitoring_prometheus: roundCheck(monitoringPrometheus) } : {}),
      quality_per_prompt: promptQuality.map((p) => ({ prompt: p.prompt, answers: p.answers, mean_score: round(p.meanScore, 3), worst_notes: p.worstNotes })),
      settings: { requests: o.requests, concurrency: o.concurrency, max_tokens: o.maxTokens, temperature: o.temperature, timeout_ms: o.timeoutMs },
      steps: {
        single_request: { step: 1, prompt: CERTIFY_PROMPTS.single.join('.'), ...answerSummary(single) },
        throughput: {
          step: 2,
          prompt: CERTIFY_PROMPTS.throughput.join('.'),
          requests: o.requests,
          ok: batch.filter((a) => a.ok).length,
          wall_ms: round(batchWallMs, 1),
          throughput_rps: round(throughputRps, 2),
          latency_ms: roundSummary(summarize(batch.map((a) => a.latencyMs))),
          // "No performance degradation under load": in the order the requests were sent.
          first_third_mean_latency_ms: round(mean(batch.slice(0, Math.floor(o.requests / 3)).map((a) => a.latencyMs)), 1),
          last_third_mean_latency_ms: round(mean(batch.slice(o.requests - Math.floor(o.requests / 3)).map((a) => a.latencyMs)), 1),
          degradation_ratio: round(degradation, 3),
          degradation_max_ratio: DEGRADATION_MAX_RATIO,
          errors: firstErrors(batch),
        },
        concurrent_requests: {
          step: 3,
          prompt: CERTIFY_PROMPTS.concurrent.join('.'),
          requests: o.concurrency,
          ok: concurrent.filter((a) => a.ok).length,
          mean_latency_ms: round(concurrentMean, 1),
          latency_ms: roundSummary(summarize(concurrent.map((a) => a.latencyMs))),
          // The seed divides the batch's wall time by its size; kept for comparison only.
          seed_formula_wall_ms_per_request: round(concurrentWallMs / Math.max(1, o.concurrency), 1),
          errors: firstErrors(concurrent),
        },
        resource_utilization: resources
          ? {
              step: 4,
              source: resources.source,
              samples: resources.samples,
              baseline_memory_gb: resources.baselineRssBytes === undefined ? undefined : round(resources.baselineRssBytes / GB, 4),
              peak_memory_gb: resources.peakRssBytes === undefined ? undefined : round(resources.peakRssBytes / GB, 4),
              peak_cpu_cores: round(resources.peakCpuCores, 3),
              mean_cpu_cores: round(resources.meanCpuCores, 3),
            }
          : { step: 4, source: 'none', note: 'not measured' },
        response_quality: {
          step: 5,
          prompt: CERTIFY_PROMPTS.quality.join('.'),
          ...answerSummary(qualityAnswer),
          score: round(quality.score, 3),
          components: quality.components,
          notes: quality.notes,
          details: quality.details,
        },
      },
    };
  } finally {
    if (monitor && !resources) await monitor.stop();
    await client.close();
  }
}

function roundCheck(check: MonitoringCheck): MonitoringCheck {
  return { ...check, mean_latency_ms: { client: round(check.mean_latency_ms.client, 1), server: round(check.mean_latency_ms.server, 1) } };
}

function roundSummary(s: ReturnType<typeof summarize>) {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, k === 'count' ? v : round(v, 1)]));
}
