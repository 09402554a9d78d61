import { criteriaRows, criterion, meets, overall } from './criteria';
import { CertifyMeasurements, evaluateCertification } from './certify-evaluation';

const TARGETS = { latencyMs: 2000, throughputRps: 50, quality: 0.8, memoryGb: 90, cpuCores: 8 };
const GOOD: CertifyMeasurements = {
  singleLatencyMs: 900,
  throughputRps: 60,
  concurrentMeanLatencyMs: 1100,
  peakMemoryBytes: 4 * 1024 ** 3,
  peakCpuCores: 1.5,
  qualityScore: 0.9,
  allQualityScores: [1, 0.8],
  validResponses: 62,
  totalRequests: 62,
};

describe('certification verdict (TC-L1-COMP-MIXTRAL-003)', () => {
  it('fills the seed summary and targets fields and passes when every criterion does', () => {
    const v = evaluateCertification(GOOD, TARGETS);
    expect(v.summary).toEqual({ avg_latency_ms: 1000, avg_throughput_rps: 60, avg_quality_score: 0.9, peak_memory_gb: 4, peak_cpu_cores: 1.5 });
    expect(v.targets).toEqual({ latency_target_ms: 2000, throughput_target_rps: 50, quality_target: 0.8, memory_limit_gb: 90, cpu_limit_cores: 8 });
    expect(v.criteria.map((c) => c.status)).toEqual(Array(9).fill('PASS'));
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
      [{ allQualityScores: [0.5, 0.6] }, 'avg_quality'],
      [{ validResponses: 61 }, 'functional'],
    ];
    for (const [change, id] of cases) {
      const v = evaluateCertification({ ...GOOD, ...change }, TARGETS);
      expect(v.status).toBe('FAIL');
      expect(v.criteria.filter((c) => c.status === 'FAIL').map((c) => c.id)).toContain(id);
    }
  });

  it('fails what was not measured, saying so', () => {
    const v = evaluateCertification({ ...GOOD, peakMemoryBytes: undefined, peakCpuCores: undefined }, TARGETS);
    const memory = v.criteria.find((c) => c.id === 'peak_memory')!;
    expect(memory).toMatchObject({ status: 'FAIL', note: 'not measured' });
    expect(v.summary.peak_memory_gb).toBeUndefined();
    expect(v.status).toBe('FAIL');
  });

  it('averages latency as the seed does: single and concurrent recorded latencies', () => {
    expect(evaluateCertification({ ...GOOD, singleLatencyMs: 1500, concurrentMeanLatencyMs: 2700 }, TARGETS).summary.avg_latency_ms).toBe(2100);
    expect(evaluateCertification({ ...GOOD, singleLatencyMs: undefined }, TARGETS).summary.avg_latency_ms).toBeUndefined();
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
