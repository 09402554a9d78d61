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

export interface CertifyMeasurements {
  /** Step 1: the complex prompt, one request. */
  singleLatencyMs?: number;
  /** Step 2: requests / wall time of the concurrent batch. */
  throughputRps?: number;
  /** Step 3: the mean of each request's own latency. */
  concurrentMeanLatencyMs?: number;
  /** Step 4. */
  peakMemoryBytes?: number;
  peakCpuCores?: number;
  /** Step 5: the heuristic score of the creative prompt's answer. */
  qualityScore?: number;
  /** Heuristic scores of every answer of the run. */
  allQualityScores: number[];
  validResponses: number;
  totalRequests: number;
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
  criteria: Criterion[];
  status: Verdict;
}

export function evaluateCertification(m: CertifyMeasurements, t: CertifyTargets): CertifyVerdict {
  // As the seed's monitor: the mean of the latencies recorded (single request, concurrent mean).
  const latencies = [m.singleLatencyMs, m.concurrentMeanLatencyMs].filter((v): v is number => v !== undefined);
  const summary: CertifySummary = {
    avg_latency_ms: latencies.length === 2 ? mean(latencies) : undefined,
    avg_throughput_rps: m.throughputRps,
    avg_quality_score: mean(m.allQualityScores),
    peak_memory_gb: m.peakMemoryBytes === undefined ? undefined : m.peakMemoryBytes / GB,
    peak_cpu_cores: m.peakCpuCores,
  };
  const targets: CertifyTargetFields = {
    latency_target_ms: t.latencyMs,
    throughput_target_rps: t.throughputRps,
    quality_target: t.quality,
    memory_limit_gb: t.memoryGb,
    cpu_limit_cores: t.cpuCores,
  };
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
    criterion({ id: 'concurrent_latency', description: 'step 3: concurrent mean latency', value: m.concurrentMeanLatencyMs, comparison: '<', target: t.latencyMs, unit: 'ms' }),
    criterion({ id: 'avg_latency', description: 'overall average latency', value: summary.avg_latency_ms, comparison: '<', target: t.latencyMs, unit: 'ms' }),
    criterion({ id: 'peak_memory', description: 'step 4: peak memory', value: summary.peak_memory_gb, comparison: '<=', target: t.memoryGb, unit: 'GB' }),
    criterion({ id: 'peak_cpu', description: 'step 4: peak CPU', value: m.peakCpuCores, comparison: '<=', target: t.cpuCores, unit: 'cores' }),
    criterion({ id: 'response_quality', description: 'step 5: response quality (heuristic)', value: m.qualityScore, comparison: '>=', target: t.quality, unit: '' }),
    criterion({ id: 'avg_quality', description: 'average quality of all answers (heuristic)', value: summary.avg_quality_score, comparison: '>=', target: t.quality, unit: '' }),
  ];
  return { summary, targets, criteria, status: overall(criteria) };
}
