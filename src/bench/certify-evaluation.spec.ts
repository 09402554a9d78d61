import { criteriaRows, criterion, meets, overall } from './criteria';
import { CertifyMeasurements, CertifyTargets, CertifyTargetSources, degradationRatio, evaluateCertification } from './certify-evaluation';

const TARGETS = { latencyMs: 2000, throughputRps: 50, quality: 0.8, memoryGb: 90, cpuCores: 8 };
const SOURCES: CertifyTargetSources = { latencyMs: 'config', throughputRps: 'flag', quality: 'test case', memoryGb: 'config', cpuCores: 'config' };
const evaluate = (m: CertifyMeasurements, t: CertifyTargets = TARGETS) => evaluateCertification(m, t, SOURCES);
const GOOD: CertifyMeasurements = {
  singleLatencyMs: 900,
  throughputRps: 60,
  degradationRatio: 1.1,
  concurrentMeanLatencyMs: 1100,
  peakMemoryBytes: 4 * 1024 ** 3,
  peakCpuCores: 1.5,
  qualityScore: 0.9,
  promptQuality: [
    { prompt: 'reasoning.simple', answers: 50, meanScore: 1, worstNotes: [] },
    { prompt: 'generation.creative', answers: 1, meanScore: 0.8, worstNotes: ['says 2 of 3 reference facts'] },
  ],
  validResponses: 62,
  totalRequests: 62,
  monitoringMismatches: [],
};

describe('certification verdict (TC-L1-COMP-MIXTRAL-003)', () => {
  it('fills the seed summary and targets fields and passes when every criterion does', () => {
    const v = evaluate(GOOD);
    expect(v.summary).toEqual({ avg_latency_ms: 1000, avg_throughput_rps: 60, avg_quality_score: 0.9, peak_memory_gb: 4, peak_cpu_cores: 1.5 });
    expect(v.targets).toEqual({ latency_target_ms: 2000, throughput_target_rps: 50, quality_target: 0.8, memory_limit_gb: 90, cpu_limit_cores: 8 });
    expect(v.target_sources).toEqual({ latency_target_ms: 'config', throughput_target_rps: 'flag', quality_target: 'test case', memory_limit_gb: 'config', cpu_limit_cores: 'config' });
    expect(v.test_case_targets).toEqual({ latency_target_ms: 2000, throughput_target_rps: 50, quality_target: 0.8, memory_limit_gb: 90, cpu_limit_cores: 8 });
    expect(v.criteria.map((c) => c.status)).toEqual(Array(12).fill('PASS'));
    expect(v.status).toBe('PASS');
  });

  it('fails on each broken target, naming the criterion', () => {
    const cases: [Partial<CertifyMeasurements>, string][] = [
      [{ singleLatencyMs: 2000 }, 'single_request_latency'],
      [{ throughputRps: 49.9 }, 'throughput'],
      [{ concurrentMeanLatencyMs: 2500 }, 'concurrent_latency'],
      [{ peakMemoryBytes: 91 * 1024 ** 3 }, 'peak_memory'],
      [{ peakCpuCores: 8.5 }, 'peak_cpu'],
      [{ qualityScore: 0.75 }, 'response_quality'],
      [{ promptQuality: [{ prompt: 'a', answers: 1, meanScore: 0.5, worstNotes: [] }, { prompt: 'b', answers: 1, meanScore: 0.6, worstNotes: [] }] }, 'avg_quality'],
      [{ promptQuality: [{ prompt: 'a', answers: 1, meanScore: 1, worstNotes: [] }, { prompt: 'b', answers: 1, meanScore: 0.7, worstNotes: [] }] }, 'worst_prompt_quality'],
      [{ validResponses: 61 }, 'functional'],
      [{ degradationRatio: 1.51 }, 'throughput_degradation'],
      [{ degradationRatio: undefined }, 'throughput_degradation'],
      [{ monitoringMismatches: ['requests: 10 counted, 62 sent'] }, 'metrics_reported'],
      [{ monitoringMismatches: undefined }, 'metrics_reported'],
    ];
    for (const [change, id] of cases) {
      const v = evaluate({ ...GOOD, ...change });
      expect(v.status).toBe('FAIL');
      expect(v.criteria.filter((c) => c.status === 'FAIL').map((c) => c.id)).toContain(id);
    }
  });

  it('fails what was not measured, saying so', () => {
    const v = evaluate({ ...GOOD, peakMemoryBytes: undefined, peakCpuCores: undefined });
    const memory = v.criteria.find((c) => c.id === 'peak_memory')!;
    expect(memory).toMatchObject({ status: 'FAIL', note: 'not measured' });
    expect(v.summary.peak_memory_gb).toBeUndefined();
    expect(v.status).toBe('FAIL');
  });

  it('compares the last third of a batch with the first, in the order sent', () => {
    expect(degradationRatio([100, 100, 150, 150, 200, 200])).toBe(2);
    expect(degradationRatio([100, 300, 100])).toBe(1);
    expect(degradationRatio([100, 100])).toBeUndefined();
  });

  it('names the monitoring mismatch and the degradation threshold', () => {
    const v = evaluate({ ...GOOD, degradationRatio: 2, monitoringMismatches: ['completion tokens: 0 counted, 640 in the answers\' usage'] });
    const byId = Object.fromEntries(v.criteria.map((c) => [c.id, c]));
    expect(byId.throughput_degradation).toMatchObject({ status: 'FAIL', value: 2, comparison: '<=', target: 1.5, unit: 'x' });
    expect(byId.metrics_reported).toMatchObject({ status: 'FAIL', value: 0, note: "completion tokens: 0 counted, 640 in the answers' usage" });
  });

  it('averages quality per distinct prompt: fifty easy answers cannot outvote one bad prompt', () => {
    const v = evaluate({
      ...GOOD,
      qualityScore: 0.1,
      qualityNotes: ['not fluent (heuristic): 10% of words in sentences that read as English'],
      promptQuality: [
        { prompt: 'reasoning.simple', answers: 50, meanScore: 1, worstNotes: [] },
        { prompt: 'generation.creative', answers: 1, meanScore: 0.1, worstNotes: ['not fluent (heuristic): 10% of words in sentences that read as English'] },
      ],
    });
    // Per answer the mean would be (50 + 0.1) / 51 = 0.98.
    expect(v.summary.avg_quality_score).toBeCloseTo(0.55, 12);
    const byId = Object.fromEntries(v.criteria.map((c) => [c.id, c]));
    expect(byId.avg_quality).toMatchObject({ status: 'FAIL', note: "mean of 2 prompts' averages" });
    expect(byId.worst_prompt_quality).toMatchObject({ status: 'FAIL', value: 0.1, note: 'generation.creative, 1 answer(s): not fluent (heuristic): 10% of words in sentences that read as English' });
    expect(byId.response_quality).toMatchObject({ status: 'FAIL', note: 'not fluent (heuristic): 10% of words in sentences that read as English' });
  });

  it('averages latency as the seed does: single and concurrent recorded latencies', () => {
    expect(evaluate({ ...GOOD, singleLatencyMs: 1500, concurrentMeanLatencyMs: 2700 }).summary.avg_latency_ms).toBe(2100);
    expect(evaluate({ ...GOOD, singleLatencyMs: undefined }).summary.avg_latency_ms).toBeUndefined();
  });
});

describe('criteria', () => {
  it('compares against targets', () => {
    expect(meets(1, '<', 2)).toBe(true);
    expect(meets(2, '<', 2)).toBe(false);
    expect(meets(2, '<=', 2)).toBe(true);
    expect(meets(2, '>=', 2)).toBe(true);
    expect(meets(2, '>', 2)).toBe(false);
    expect(meets(undefined, '>=', 0)).toBe(false);
    expect(meets(Number.NaN, '>=', 0)).toBe(false);
    expect(overall([])).toBe('FAIL');
  });

  it('renders rows with measured, target and status', () => {
    const rows = criteriaRows([criterion({ id: 'x', description: 'latency', value: 12.345, comparison: '<', target: 2000, unit: 'ms' }), criterion({ id: 'y', description: 'cpu', comparison: '<=', target: 8, unit: 'cores' })]);
    expect(rows).toEqual([
      ['latency', '12.35 ms', '< 2000 ms', 'PASS'],
      ['cpu', 'n/a', '<= 8 cores', 'FAIL (not measured)'],
    ]);
  });
});
