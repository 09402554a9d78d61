import { parsePrometheusText, sampleSum, samplesOf, sampleValue } from './prometheus-text';

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

  it('reads labelled histograms and summaries line by line, _sum and _count included', () => {
    const samples = parsePrometheusText(
      [
        '# HELP vllm:e2e_request_latency_seconds Latency.',
        '# TYPE vllm:e2e_request_latency_seconds histogram',
        'vllm:e2e_request_latency_seconds_bucket{le="0.5",model_name="a"} 1',
        'vllm:e2e_request_latency_seconds_bucket{le="+Inf",model_name="a"} 2',
        'vllm:e2e_request_latency_seconds_sum{model_name="a"} 1.25',
        'vllm:e2e_request_latency_seconds_count{model_name="a"} 2',
        'vllm:e2e_request_latency_seconds_bucket{le="0.5",model_name="b"} 0',
        'vllm:e2e_request_latency_seconds_bucket{le="+Inf",model_name="b"} 1',
        'vllm:e2e_request_latency_seconds_sum{model_name="b"} 3',
        'vllm:e2e_request_latency_seconds_count{model_name="b"} 1',
        '# TYPE rpc summary',
        'rpc{quantile="0.5",path="x"} 0.1',
        'rpc_count{path="x"} 9',
        '',
      ].join('\n'),
    );
    expect(sampleValue(samples, 'vllm:e2e_request_latency_seconds_count', { model_name: 'a' })).toBe(2);
    expect(sampleValue(samples, 'vllm:e2e_request_latency_seconds_sum', { model_name: 'b' })).toBe(3);
    expect(sampleValue(samples, 'vllm:e2e_request_latency_seconds_bucket', { model_name: 'a', le: '+Inf' })).toBe(2);
    expect(sampleSum(samples, 'vllm:e2e_request_latency_seconds_count')).toBe(3);
    expect(samplesOf(samples, 'vllm:e2e_request_latency_seconds_bucket')).toHaveLength(4);
    expect(sampleValue(samples, 'rpc', { quantile: '0.5' })).toBe(0.1);
    expect(sampleValue(samples, 'rpc_count', { path: 'x' })).toBe(9);
  });

});
