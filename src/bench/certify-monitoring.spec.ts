import { compareWithMetrics, MetricsTotals, readTotals } from './certify-monitoring';
import { parsePrometheusText } from './prometheus-text';

const CITADEL = `
citadel_llm_requests_total{model="mixtral-8x7b",endpoint="chat_completions",status="200"} 60
citadel_llm_requests_total{model="mixtral-8x7b",endpoint="chat_completions",status="400"} 2
citadel_llm_requests_total{model="mixtral-8x7b",endpoint="completions",status="200"} 7
citadel_llm_requests_total{model="phi-3-mini",endpoint="chat_completions",status="200"} 9
citadel_llm_tokens_total{model="mixtral-8x7b",type="completion"} 1200
citadel_llm_tokens_total{model="mixtral-8x7b",type="prompt"} 500
citadel_llm_request_duration_seconds_sum{model="mixtral-8x7b",endpoint="chat_completions"} 31
citadel_llm_request_duration_seconds_count{model="mixtral-8x7b",endpoint="chat_completions"} 62
`;
const VLLM = `
vllm:request_success_total{model_name="mixtral",finished_reason="stop"} 5
vllm:request_success_total{model_name="mixtral",finished_reason="length"} 3
vllm:generation_tokens_total{model_name="mixtral"} 400
vllm:e2e_request_latency_seconds_sum{model_name="mixtral"} 4
vllm:e2e_request_latency_seconds_count{model_name="mixtral"} 8
`;
const ZERO: MetricsTotals = { families: 'citadel', requests: 0, completionTokens: 0, latencySumSeconds: 0, latencyCount: 0 };

describe('certify: metrics reported to monitoring', () => {
  it("reads Citadel's families for the model's chat endpoint, else vLLM's for the served name", () => {
    expect(readTotals(parsePrometheusText(CITADEL), 'mixtral-8x7b', 'mixtral')).toEqual({ families: 'citadel', requests: 62, completionTokens: 1200, latencySumSeconds: 31, latencyCount: 62 });
    expect(readTotals(parsePrometheusText(VLLM), 'mixtral-8x7b', 'mixtral')).toEqual({ families: 'vllm', requests: 8, completionTokens: 400, latencySumSeconds: 4, latencyCount: 8 });
    expect(readTotals(parsePrometheusText('process_cpu_seconds_total 1'), 'mixtral-8x7b', 'mixtral')).toBeUndefined();
    // Before the first request only the zero-valued series exist.
    expect(readTotals(parsePrometheusText('citadel_llm_tokens_total{model="mixtral-8x7b",type="completion"} 0'), 'mixtral-8x7b', 'mixtral')).toEqual({ ...ZERO });
  });

  it('matches when the counters grew by what certify measured (more is other traffic, noted)', () => {
    const after = { ...ZERO, requests: 62, completionTokens: 1200, latencySumSeconds: 31, latencyCount: 62 };
    const ok = compareWithMetrics('m', ZERO, after, { requests: 62, succeeded: 62, completionTokens: 1200, meanLatencyMs: 600 });
    expect(ok).toMatchObject({ families: 'citadel', requests: { sent: 62, reported: 62 }, completion_tokens: { in_answers: 1200, reported: 1200 }, mismatches: [], notes: [] });
    expect(ok.mean_latency_ms.server).toBeCloseTo(500, 9);
    const busy = compareWithMetrics('m', ZERO, { ...after, requests: 70 }, { requests: 62, succeeded: 62, completionTokens: 1200, meanLatencyMs: 600 });
    expect(busy.mismatches).toEqual([]);
    expect(busy.notes).toEqual(['requests: 70 counted, 62 sent (other traffic during the run)']);
  });

  it('fails each kind of mismatch: requests, tokens, latency, no metrics at all', () => {
    const after = { ...ZERO, requests: 50, completionTokens: 100, latencySumSeconds: 62, latencyCount: 62 };
    const bad = compareWithMetrics('m', ZERO, after, { requests: 62, succeeded: 62, completionTokens: 1200, meanLatencyMs: 600 });
    expect(bad.mismatches).toEqual([
      'requests: 50 counted, 62 sent',
      "completion tokens: 100 counted, 1200 in the answers' usage",
      "latency: the server's mean 1000.0 ms exceeds the client's 600.0 ms",
    ]);
    expect(compareWithMetrics('m', ZERO, { ...after, latencyCount: 0 }, { requests: 50, succeeded: 50, completionTokens: 100 }).mismatches).toEqual([
      'latency: no request timed in the latency histogram',
    ]);
    expect(compareWithMetrics('m', undefined, undefined, { requests: 1, succeeded: 1, completionTokens: 1 }, 'HTTP 404').mismatches).toEqual(['performance metrics not reported: HTTP 404']);
    // vLLM counts successes only.
    const vllm = { ...ZERO, families: 'vllm' as const };
    expect(compareWithMetrics('m', vllm, { ...vllm, requests: 60, completionTokens: 5, latencySumSeconds: 1, latencyCount: 60 }, { requests: 62, succeeded: 60, completionTokens: 5 }).mismatches).toEqual([]);
  });

});
