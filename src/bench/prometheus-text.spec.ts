import { parsePrometheusText, sampleValue } from './prometheus-text';

describe('Prometheus text', () => {
  const text = [
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    'process_resident_memory_bytes 123456789',
    'process_cpu_seconds_total 12.5',
    'citadel_llm_model_memory_usage_bytes{model="mixtral-8x7b"} 2e+08',
    'citadel_llm_model_memory_usage_bytes{model="phi-3-mini",note="a \\"q\\""} 7',
    'vllm:num_requests_running{model_name="m"} 3',
    'bucket{le="+Inf"} +Inf',
  ].join('\n');

  it('reads samples with their labels', () => {
    const samples = parsePrometheusText(text);
    expect(samples).toHaveLength(6);
    expect(sampleValue(samples, 'process_resident_memory_bytes')).toBe(123456789);
    expect(sampleValue(samples, 'citadel_llm_model_memory_usage_bytes', { model: 'mixtral-8x7b' })).toBe(2e8);
    expect(sampleValue(samples, 'citadel_llm_model_memory_usage_bytes', { model: 'phi-3-mini' })).toBe(7);
    expect(samples[3].labels.note).toBe('a "q"');
    expect(sampleValue(samples, 'vllm:num_requests_running')).toBe(3);
    expect(sampleValue(samples, 'bucket')).toBe(Infinity);
    expect(sampleValue(samples, 'missing')).toBeUndefined();
  });
});
