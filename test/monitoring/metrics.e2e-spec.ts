import { randomBytes } from 'node:crypto';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { NO_FAULTS, setFaults } from '../support/engine-control';
import { readSse } from '../support/sse';
import { startCitadel } from '../support/start-citadel';
import { describeWith, PROMTOOL, promtoolCheckMetrics, samplesWithPrefix, sampleSum, sampleValue, scrape } from './prom-text';

const MODELS = ['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b'];
const json = { 'content-type': 'application/json' };

/** The whole server (four models, their metrics ports, the gateway) with instant simulated engines. */
describe('Prometheus metrics', () => {
  let server: ServiceOrchestrator;
  const model = (id: string) => server.models.find((m) => m.id === id)!;

  beforeAll(async () => {
    server = await startCitadel();
    // Some traffic on every model, each way: model port and gateway, chat and completions, streamed or not.
    for (const id of MODELS) {
      const res = await fetch(`${model(id).url}/v1/chat/completions`, { method: 'POST', headers: json, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }) });
      expect(res.status).toBe(200);
      const viaGateway = await fetch(`${server.gatewayUrl}/v1/completions`, { method: 'POST', headers: json, body: JSON.stringify({ model: id, prompt: 'hi', max_tokens: 5, stream: true }) });
      expect(viaGateway.status).toBe(200);
      await viaGateway.text();
    }
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("shows a model's series on its metrics port and its service port, and only that model's", async () => {
    for (const id of MODELS) {
      for (const url of [model(id).metricsUrl, model(id).url]) {
        const text = await scrape(url);
        expect(sampleValue(text, 'citadel_llm_requests_total', { model: id, endpoint: 'chat_completions', status: '200' })).toBeGreaterThanOrEqual(1);
        // Process-wide series (no model label) are on every listener; no other model's are.
        const others = samplesWithPrefix(text, 'citadel_llm_').filter((sample) => sample.labels.model !== undefined && sample.labels.model !== id);
        expect(others).toEqual([]);
        // Node's default metrics, on every listener.
        expect(sampleValue(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      }
    }
  });

  it('answers in the Prometheus text format on every listener', async () => {
    for (const url of [...server.models.flatMap((m) => [m.url, m.metricsUrl]), server.gatewayUrl!]) {
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      await res.text();
    }
  });

  it('`curl :11401/metrics | grep mixtral` finds every family of the contract for Mixtral', async () => {
    const lines = (await scrape(model('mixtral-8x7b').metricsUrl)).split('\n').filter((l) => l.includes('mixtral'));
    const families = new Set(lines.map((l) => l.replace(/[{ ].*$/, '').replace(/_(bucket|sum|count)$/, '')));
    for (const family of [
      'citadel_llm_requests_total',
      'citadel_llm_request_duration_seconds',
      'citadel_llm_time_to_first_token_seconds',
      'citadel_llm_inter_token_latency_seconds',
      'citadel_llm_active_requests',
      'citadel_llm_tokens_total',
      'citadel_llm_engine_up',
      'citadel_llm_model_memory_usage_bytes',
      'citadel_llm_service_start_time_seconds',
      'citadel_llm_service_restarts_total',
      'citadel_llm_streams_started_total',
      'citadel_llm_context_utilization_ratio',
      'citadel_llm_model_cpu_seconds_total',
      'citadel_llm_model_load_seconds',
      'citadel_llm_engine_circuit_state',
    ]) {
      expect(families).toContain(family);
    }
  });

  it('the gateway shows every model, the engines up, and the simulated engines\' memory', async () => {
    const text = await scrape(server.gatewayUrl!);
    for (const m of server.models) {
      expect(sampleValue(text, 'citadel_llm_engine_up', { model: m.id, upstream: m.engineUrls[0] })).toBe(1);
      // Simulated mode: the simulator child's resident memory.
      expect(sampleValue(text, 'citadel_llm_model_memory_usage_bytes', { model: m.id })).toBeGreaterThan(1024 * 1024);
      // ...and its CPU time, so Prometheus has what /efficiency shows.
      expect(sampleValue(text, 'citadel_llm_model_cpu_seconds_total', { model: m.id })).toBeGreaterThan(0);
      // The simulator child's time from spawn to ready (the seeds' model loading time).
      expect(sampleValue(text, 'citadel_llm_model_load_seconds', { model: m.id })).toBeGreaterThan(0);
      expect(sampleValue(text, 'citadel_llm_service_start_time_seconds', { model: m.id })).toBeGreaterThan(Date.now() / 1000 - 600);
      expect(sampleValue(text, 'citadel_llm_request_duration_seconds_bucket', { model: m.id, endpoint: 'completions', le: '+Inf' })).toBeGreaterThanOrEqual(1);
    }
  });

  it('counts tokens from the usage of answers and of streams that ask for it', async () => {
    const id = 'phi-3-mini';
    const before = await scrape(model(id).metricsUrl);
    const res = await fetch(`${model(id).url}/v1/completions`, { method: 'POST', headers: json, body: JSON.stringify({ prompt: 'count my tokens please', max_tokens: 7 }) });
    const answer = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    const stream = await fetch(`${model(id).url}/v1/chat/completions`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ messages: [{ role: 'user', content: 'and these' }], max_tokens: 9, stream: true, stream_options: { include_usage: true } }),
    });
    const events = await readSse(stream);
    const usage = JSON.parse(events[events.length - 2]).usage as { prompt_tokens: number; completion_tokens: number };
    const after = await scrape(model(id).metricsUrl);
    const delta = (type: string) => sampleValue(after, 'citadel_llm_tokens_total', { model: id, type })! - sampleValue(before, 'citadel_llm_tokens_total', { model: id, type })!;
    expect(delta('prompt')).toBe(answer.usage.prompt_tokens + usage.prompt_tokens);
    expect(delta('completion')).toBe(answer.usage.completion_tokens + usage.completion_tokens);
    // Each answer's share of Phi-3's 2,048-token context, from the same usage.
    const ratio = (name: string) => sampleValue(after, name, { model: id })! - sampleValue(before, name, { model: id })!;
    expect(ratio('citadel_llm_context_utilization_ratio_count')).toBe(2);
    const used = (answer.usage.prompt_tokens + answer.usage.completion_tokens + usage.prompt_tokens + usage.completion_tokens) / 2048;
    expect(ratio('citadel_llm_context_utilization_ratio_sum')).toBeCloseTo(used, 9);
    // The stream's chunks and time to first token.
    expect(sampleValue(after, 'citadel_llm_time_to_first_token_seconds_count', { model: id })).toBeGreaterThan(sampleValue(before, 'citadel_llm_time_to_first_token_seconds_count', { model: id })!);
    expect(sampleValue(after, 'citadel_llm_stream_chunks_total', { model: id })! - sampleValue(before, 'citadel_llm_stream_chunks_total', { model: id })!).toBe(events.length);
  });

  it("counts the gateway's own context_length_exceeded 400 (max_tokens and max_completion_tokens over max_model_len) in requests_total, counted, not timed, like the engine's", async () => {
    const id = 'phi-3-mini';
    const count = (text: string, status: string) => sampleValue(text, 'citadel_llm_requests_total', { model: id, endpoint: 'chat_completions', status }) ?? 0;
    const timed = (text: string) => sampleValue(text, 'citadel_llm_request_duration_seconds_count', { model: id, endpoint: 'chat_completions' }) ?? 0;
    const before = await scrape(model(id).metricsUrl);
    for (const param of ['max_tokens', 'max_completion_tokens']) {
      const res = await fetch(`${model(id).url}/v1/chat/completions`, { method: 'POST', headers: json, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], [param]: 1_000_000 }) });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('context_length_exceeded');
    }
    const after = await scrape(model(id).metricsUrl);
    expect(count(after, '400') - count(before, '400')).toBe(2);
    expect(timed(after)).toBe(timed(before));
  });

  it('counts an engine that drops the connection as an upstream error', async () => {
    const yi = model('yi-34b');
    await setFaults(yi.engineUrls[0], { dieAfterTokens: 1 });
    try {
      const res = await fetch(`${yi.url}/v1/completions`, { method: 'POST', headers: json, body: JSON.stringify({ prompt: 'x', max_tokens: 5 }) });
      expect(res.status).toBeGreaterThanOrEqual(500);
      await res.text();
    } finally {
      await setFaults(yi.engineUrls[0], NO_FAULTS);
      await yi.service.engine.probe();
    }
    const text = await scrape(yi.metricsUrl);
    expect(sampleSum(text, 'citadel_llm_upstream_errors_total', { model: 'yi-34b' })).toBeGreaterThanOrEqual(1);
  });

  it('never makes a series from request input: 1,000 unknown models and paths later, the series are the same', async () => {
    const series = async () => {
      const samples = samplesWithPrefix(await scrape(server.gatewayUrl!), 'citadel_llm_');
      return new Set(samples.map((sample) => `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`));
    };
    const before = await series();
    const names: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const name = `m-${randomBytes(6).toString('hex')}`;
          names.push(name);
          const target = i % 3 === 0 ? server.gatewayUrl! : model(MODELS[i % 4]).url;
          const path = i % 5 === 0 ? `/v1/${name}` : i % 2 ? '/v1/chat/completions' : '/v1/completions';
          const body = path === '/v1/chat/completions' ? { model: name, messages: [{ role: 'user', content: 'x' }] } : { model: name, prompt: 'x' };
          const res = await fetch(`${target}${path}`, { method: 'POST', headers: json, body: JSON.stringify(body) });
          expect(res.status).toBe(404);
          await res.text();
        }),
      );
    }
    const after = await series();
    expect([...after].filter((s) => !before.has(s))).toEqual([]);
    expect(after.size).toBe(before.size);
    const all = await scrape(server.gatewayUrl!);
    expect(names.filter((n) => all.includes(n))).toEqual([]);
  });

  describeWith(PROMTOOL, 'promtool')('promtool check metrics', () => {
    it('passes on every listener: model ports, metrics ports, the gateway, and the streaming and efficiency pages', async () => {
      const urls = [...server.models.flatMap((m) => [`${m.url}/metrics`, `${m.metricsUrl}/metrics`]), `${server.gatewayUrl}/metrics`, `${model('openchat-3.5').url}/metrics/streaming`, `${model('phi-3-mini').url}/metrics/efficiency`];
      for (const url of urls) {
        const text = await (await fetch(url)).text();
        const result = promtoolCheckMetrics(text);
        expect({ url, ...result }).toEqual({ url, ok: true, output: '' });
      }
    });
  });
});
