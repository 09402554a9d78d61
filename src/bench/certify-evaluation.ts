/**
 * TC-L1-COMP-MIXTRAL-003's verdict from what the steps measured: the seed's summary, targets and
 * status fields, and one criterion per check.
 */
import { criterion, Criterion, overall, Verdict } from './criteria';
import { mean } from './stats';

export const CERTIFY_TEST_CASE = 'TC-L1-COMP-MIXTRAL-003';
const GB = 1024 ** 3;

export interface CertifyTargets {
  latencyMs: number;
  throughputRps: number;
  quality: number;
  memoryGb: number;
  cpuCores: number;
}

/** "No performance degradation under load": the last third of step 2 may be this much slower than the first. */
export const DEGRADATION_MAX_RATIO = 1.5;

/** The last third's mean latency over the first third's, in the order sent (undefined under 3 answers). */
export function degradationRatio(latenciesInSendOrder: readonly number[]): number | undefined {
  const third = Math.floor(latenciesInSendOrder.length / 3);
  if (third === 0) return undefined;
  const first = mean(latenciesInSendOrder.slice(0, third))!;
  const last = mean(latenciesInSendOrder.slice(-third))!;
  return first > 0 ? last / first : undefined;
}

/** The test case's own targets (its "Performance Targets" and report): the Mixtral service's. */
export const TEST_CASE_TARGETS: CertifyTargets = { latencyMs: 2000, throughputRps: 50, quality: 0.8, memoryGb: 90, cpuCores: 8 };

/** Where each target came from, in words (the test case, the model's config, a command-line flag). */
export type CertifyTargetSources = Record<keyof CertifyTargets, string>;

/** One distinct prompt's answers: each prompt weighs the same in the average, however many answers it had. */
export interface PromptQuality {
  /** `category.level` in the prompt file. */
  prompt: string;
  answers: number;
  meanScore: number;
  /** Why the lowest-scoring answer lost points. */
  worstNotes: string[];
}

export interface CertifyMeasurements {
  /** Step 1: the complex prompt, one request. */
  singleLatencyMs?: number;
  /** Step 2: requests / wall time of the concurrent batch. */
  throughputRps?: number;
  /** Step 2 under load: the mean latency of the last third of the batch (in the order sent) over the first third's. */
  degradationRatio?: number;
  /** Step 3: the mean of each request's own latency. */
  concurrentMeanLatencyMs?: number;
  /** Step 4. */
  peakMemoryBytes?: number;
  peakCpuCores?: number;
  /** Step 5: the heuristic score of the creative prompt's answer, and why it lost points. */
  qualityScore?: number;
  qualityNotes?: string[];
  /** Heuristic scores of every answer of the run, averaged per distinct prompt. */
  promptQuality: PromptQuality[];
  validResponses: number;
  totalRequests: number;
  /** What the service's /metrics did not count of what certify measured (undefined: not checked). */
  monitoringMismatches?: string[];
  /** What Prometheus (--monitoring-url) did not hold of it (undefined: no monitoring URL given). */
  prometheusMismatches?: string[];
}

/** The seed's report fields. */
export interface CertifySummary {
  avg_latency_ms?: number;
  avg_throughput_rps?: number;
  avg_quality_score?: number;
  peak_memory_gb?: number;
  peak_cpu_cores?: number;
}

export interface CertifyTargetFields {
  latency_target_ms: number;
  throughput_target_rps: number;
  quality_target: number;
  memory_limit_gb: number;
  cpu_limit_cores: number;
}

export interface CertifyVerdict {
  summary: CertifySummary;
  targets: CertifyTargetFields;
  /** Where each of `targets` came from. */
  target_sources: Record<keyof CertifyTargetFields, string>;
  /** The test case's own targets, for comparison with `targets`. */
  test_case_targets: CertifyTargetFields;
  criteria: Criterion[];
  status: Verdict;
}

function targetFields(t: CertifyTargets): CertifyTargetFields {
  return {
    latency_target_ms: t.latencyMs,
    throughput_target_rps: t.throughputRps,
    quality_target: t.quality,
    memory_limit_gb: t.memoryGb,
    cpu_limit_cores: t.cpuCores,
  };
}

/** The first note, shortened: the reason a quality criterion shows next to its verdict. */
function reason(notes: readonly string[] | undefined): string | undefined {
  const first = notes?.[0];
  return first && (first.length > 100 ? `${first.slice(0, 97)}...` : first);
}

export function evaluateCertification(m: CertifyMeasurements, t: CertifyTargets, sources: CertifyTargetSources): CertifyVerdict {
  // As the seed's monitor: the mean of the latencies recorded (single request, concurrent mean).
  const latencies = [m.singleLatencyMs, m.concurrentMeanLatencyMs].filter((v): v is number => v !== undefined);
  const summary: CertifySummary = {
    avg_latency_ms: latencies.length === 2 ? mean(latencies) : undefined,
    avg_throughput_rps: m.throughputRps,
    // Each distinct prompt once: 50 answers to one easy prompt cannot outvote the others.
    avg_quality_score: mean(m.promptQuality.map((p) => p.meanScore)),
    peak_memory_gb: m.peakMemoryBytes === undefined ? undefined : m.peakMemoryBytes / GB,
    peak_cpu_cores: m.peakCpuCores,
  };
  const targets = targetFields(t);
  const worst = [...m.promptQuality].sort((a, b) => a.meanScore - b.meanScore)[0];
  const criteria = [
    criterion({
      id: 'functional',
      description: 'valid responses (choices present)',
      value: m.totalRequests ? m.validResponses / m.totalRequests : undefined,
      comparison: '>=',
      target: 1,
      unit: '',
      note: `${m.validResponses}/${m.totalRequests}`,
    }),
    criterion({ id: 'single_request_latency', description: 'step 1: single request latency', value: m.singleLatencyMs, comparison: '<', target: t.latencyMs, unit: 'ms' }),
    criterion({ id: 'throughput', description: 'step 2: batch throughput', value: m.throughputRps, comparison: '>=', target: t.throughputRps, unit: 'req/s' }),
    criterion({
      id: 'throughput_degradation',
      description: "step 2: last third's latency / first third's",
      value: m.degradationRatio,
      comparison: '<=',
      target: DEGRADATION_MAX_RATIO,
      unit: 'x',
      note: m.degradationRatio === undefined ? 'needs 3 or more requests' : undefined,
    }),
    criterion({ id: 'concurrent_latency', description: 'step 3: concurrent mean latency', value: m.concurrentMeanLatencyMs, comparison: '<', target: t.latencyMs, unit: 'ms' }),
    criterion({ id: 'avg_latency', description: 'overall average latency', value: summary.avg_latency_ms, comparison: '<', target: t.latencyMs, unit: 'ms' }),
    criterion({ id: 'peak_memory', description: 'step 4: peak memory', value: summary.peak_memory_gb, comparison: '<=', target: t.memoryGb, unit: 'GB' }),
    criterion({ id: 'peak_cpu', description: 'step 4: peak CPU', value: m.peakCpuCores, comparison: '<=', target: t.cpuCores, unit: 'cores' }),
    criterion({
      id: 'response_quality',
      description: 'step 5: response quality (heuristic)',
      value: m.qualityScore,
      comparison: '>=',
      target: t.quality,
      unit: '',
      note: reason(m.qualityNotes),
    }),
    criterion({
      id: 'avg_quality',
      description: 'average quality per distinct prompt (heuristic)',
      value: summary.avg_quality_score,
      comparison: '>=',
      target: t.quality,
      unit: '',
      note: m.promptQuality.length ? `mean of ${m.promptQuality.length} prompts' averages` : undefined,
    }),
    criterion({
      id: 'worst_prompt_quality',
      description: 'lowest prompt average quality (heuristic)',
      value: worst?.meanScore,
      comparison: '>=',
      target: t.quality,
      unit: '',
      note: worst ? `${worst.prompt}, ${worst.answers} answer(s)${worst.worstNotes.length ? `: ${reason(worst.worstNotes)}` : ''}` : undefined,
    }),
  ];
  criteria.push(
    criterion({
      id: 'metrics_reported',
      description: 'metrics reported to monitoring (/metrics)',
      value: m.monitoringMismatches === undefined ? undefined : m.monitoringMismatches.length === 0 ? 1 : 0,
      comparison: '>=',
      target: 1,
      unit: '',
      note: m.monitoringMismatches?.[0],
    }),
  );
  if (m.prometheusMismatches !== undefined) {
    criteria.push(
      criterion({
        id: 'metrics_in_prometheus',
        description: 'metrics reported to monitoring (Prometheus, --monitoring-url)',
        value: m.prometheusMismatches.length === 0 ? 1 : 0,
        comparison: '>=',
        target: 1,
        unit: '',
        note: m.prometheusMismatches[0],
      }),
    );
  }
  const target_sources = {
    latency_target_ms: sources.latencyMs,
    throughput_target_rps: sources.throughputRps,
    quality_target: sources.quality,
    memory_limit_gb: sources.memoryGb,
    cpu_limit_cores: sources.cpuCores,
  };
  return { summary, targets, target_sources, test_case_targets: targetFields(TEST_CASE_TARGETS), criteria, status: overall(criteria) };
}
