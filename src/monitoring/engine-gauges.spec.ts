import { readEngineGauges } from './engine-gauges';

// The exposition as vLLM writes it (vllm/v1/metrics/loggers.py: gauges labelled by model_name
// and engine; histograms alongside), two engine cores of one data-parallel server.
const VLLM_TEXT = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="mistralai/Mixtral-8x7B-Instruct-v0.1"} 3.0
vllm:num_requests_running{engine="1",model_name="mistralai/Mixtral-8x7B-Instruct-v0.1"} 2.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="mistralai/Mixtral-8x7B-Instruct-v0.1"} 1.0
vllm:num_requests_waiting{engine="1",model_name="mistralai/Mixtral-8x7B-Instruct-v0.1"} 0.0
# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="mistralai/Mixtral-8x7B-Instruct-v0.1"} 0.5
vllm:kv_cache_usage_perc{engine="1",model_name="mistralai/Mixtral-8x7B-Instruct-v0.1"} 0.25
# HELP vllm:e2e_request_latency_seconds Histogram of e2e request latency in seconds.
# TYPE vllm:e2e_request_latency_seconds histogram
vllm:e2e_request_latency_seconds_bucket{engine="0",le="0.3",model_name="mistralai/Mixtral-8x7B-Instruct-v0.1"} 1.0
vllm:e2e_request_latency_seconds_sum{engine="0",model_name="mistralai/Mixtral-8x7B-Instruct-v0.1"} 0.2
vllm:e2e_request_latency_seconds_count{engine="0",model_name="mistralai/Mixtral-8x7B-Instruct-v0.1"} 1.0
`;

describe('readEngineGauges: vLLM load gauges from its /metrics', () => {
  it('sums running and waiting over the engine cores and averages the KV cache usage', () => {
    expect(readEngineGauges(VLLM_TEXT)).toEqual({ running: 5, waiting: 1, kvCacheUsage: 0.375 });
  });

  it('leaves out what the text lacks (no gauges, an empty body, other families only)', () => {
    expect(readEngineGauges('')).toEqual({});
    expect(readEngineGauges('# TYPE up gauge\nup 1\n')).toEqual({});
    expect(readEngineGauges('vllm:num_requests_running{model_name="m"} 0\n')).toEqual({ running: 0 });
  });

  it('skips a value that is not a number', () => {
    expect(readEngineGauges('vllm:num_requests_waiting{model_name="m"} NaN\nvllm:num_requests_running{model_name="m"} 2\n')).toEqual({ running: 2 });
  });
});
