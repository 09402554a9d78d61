/** The non-generation endpoints: models, health, ping, version, tokenize, detokenize, metrics, admin, 404. */
import { spawnSync } from 'node:child_process';
import { libraryChatCount, libraryPromptCount } from './library-counts';
import type { RunningSimulator } from '../../src/simulator/types';
import { describeWith, PROMTOOL } from '../monitoring/prom-text';
import { get, http, metricValue, post, SERVED, startTestSimulator, testModel } from './helpers';

describe('simulator endpoints', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ vllmVersion: '0.11.2' });
  });
  afterAll(() => sim.close());

  it('GET /v1/models lists the served name with vLLM fields', async () => {
    const r = await get(sim.url, '/v1/models');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json.object).toBe('list');
    expect(r.json.data).toHaveLength(1);
    const card = r.json.data[0];
    expect(card).toMatchObject({ id: SERVED, object: 'model', owned_by: 'vllm', root: SERVED, max_model_len: 4096 });
    expect(typeof card.created).toBe('number');
    expect(card.permission[0]).toMatchObject({ object: 'model_permission', allow_sampling: true });
  });

  it('GET /health and /ping answer 200 with an empty body; /version the version', async () => {
    const health = await get(sim.url, '/health');
    expect(health.status).toBe(200);
    expect(health.text).toBe('');
    expect((await get(sim.url, '/ping')).status).toBe(200);
    expect((await http(sim.url, 'POST', '/ping')).status).toBe(200);
    const version = await get(sim.url, '/version');
    expect(version.json).toEqual({ version: '0.11.2' });
  });

  it('POST /tokenize counts a prompt (with BOS) or chat messages (with the template)', async () => {
    const text = 'Hello, tokenizer world!';
    const r = await post(sim.url, '/tokenize', { model: SERVED, prompt: text });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ count: libraryPromptCount('default', text), max_model_len: 4096, token_strs: null });
    expect(r.json.tokens).toHaveLength(r.json.count);

    const messages = [{ role: 'user', content: text }];
    const chat = await post(sim.url, '/tokenize', { messages });
    expect(chat.json.count).toBe(libraryChatCount('default', messages));

    const strs = await post(sim.url, '/tokenize', { prompt: 'ab cd', add_special_tokens: false, return_token_strs: true });
    // vLLM returns convert_ids_to_tokens: the vocabulary's own strings.
    expect(strs.json.token_strs).toEqual(['▁ab', '▁cd']);
  });

  it('POST /detokenize reverses /tokenize', async () => {
    const text = 'Round trip: ünïcode and ASCII!';
    const t = await post(sim.url, '/tokenize', { prompt: text, add_special_tokens: false });
    const d = await post(sim.url, '/detokenize', { model: SERVED, tokens: t.json.tokens });
    expect(d.status).toBe(200);
    expect(d.json).toEqual({ prompt: text });
    const bad = await post(sim.url, '/detokenize', { tokens: [-1] });
    expect(bad.status).toBe(400);
  });

  it('unknown paths and methods get FastAPI-style JSON', async () => {
    const r = await get(sim.url, '/v2/nothing');
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ detail: 'Not Found' });
    const m = await get(sim.url, '/v1/chat/completions');
    expect(m.status).toBe(405);
    expect(m.json).toEqual({ detail: 'Method Not Allowed' });
  });

  it('GET/POST /admin/faults reads and changes the fault settings', async () => {
    const before = await get(sim.url, '/admin/faults');
    expect(before.json).toEqual({
      errorRate: 0,
      errorStatus: 500,
      slowStartSeconds: 0,
      hang: false,
      hangBeforeHeaders: false,
      dieAfterTokens: 0,
      failAfterTokens: 0,
      stallAfterTokens: 0,
      engineDead: false,
    });
    const set = await post(sim.url, '/admin/faults', { errorRate: 0.25, errorStatus: 429 });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ errorRate: 0.25, errorStatus: 429 });
    const bad = await post(sim.url, '/admin/faults', { errorRate: 5 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/errorRate/);
    const reset = await post(sim.url, '/admin/faults', { errorRate: 0, errorStatus: 500 });
    expect(reset.json.errorRate).toBe(0);
  });
});

describe('simulator /metrics', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator();
  });
  afterAll(() => sim.close());

  it("exposes vLLM's metric names with model_name, counting prompt and generation tokens", async () => {
    const empty = await get(sim.url, '/metrics');
    expect(empty.status).toBe(200);
    expect(empty.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const labels = { model_name: SERVED };
    for (const name of ['vllm:num_requests_running', 'vllm:num_requests_waiting', 'vllm:kv_cache_usage_perc']) {
      expect(metricValue(empty.text, name, labels)).toBe(0);
    }

    const r = await post(sim.url, '/v1/completions', { prompt: 'count me', max_tokens: 7, ignore_eos: true });
    expect(r.status).toBe(200);
    const m = (await get(sim.url, '/metrics')).text;
    expect(metricValue(m, 'vllm:prompt_tokens_total', labels)).toBe(r.json.usage.prompt_tokens);
    expect(metricValue(m, 'vllm:generation_tokens_total', labels)).toBe(7);
    expect(metricValue(m, 'vllm:request_success_total', { ...labels, finished_reason: 'length' })).toBe(1);
    expect(metricValue(m, 'vllm:time_to_first_token_seconds_count', labels)).toBe(1);
    expect(metricValue(m, 'vllm:inter_token_latency_seconds_count', labels)).toBe(6);
    expect(metricValue(m, 'vllm:e2e_request_latency_seconds_count', labels)).toBe(1);
    expect(metricValue(m, 'vllm:request_queue_time_seconds_count', labels)).toBe(1);
    expect(m).toMatch(/^# TYPE vllm:request_success_total counter$/m);
    expect(m).toMatch(/^# TYPE vllm:time_to_first_token_seconds histogram$/m);
  });

  // Without promtool this is reported as skipped (not passed), as the monitoring specs do.
  describeWith(PROMTOOL, 'promtool')('with promtool', () => {
    it('passes promtool check metrics', async () => {
      const text = (await get(sim.url, '/metrics')).text;
      const r = spawnSync(PROMTOOL!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      const output = `${r.stdout}${r.stderr}`.trim();
      // Exit 3 is promtool's lint verdict. vLLM's own names contain ':' (vllm:...), which its linter
      // flags; that is the one problem we must keep. Anything else (exit 1: a parse error) fails.
      if (r.status === 3) {
        const problems = output.split('\n').filter((l) => !/metric names should not contain ':'$/.test(l));
        expect(problems).toEqual([]);
      } else {
        expect({ status: r.status, output }).toEqual({ status: 0, output: '' });
      }
    });
  });

  it('labels each model of a multi-model simulator separately', async () => {
    const multi = await startTestSimulator({
      models: [testModel(), testModel({ id: 'other', servedName: 'org/other' })],
    });
    try {
      await post(multi.url, '/v1/chat/completions', {
        model: 'org/other',
        messages: [{ role: 'user', content: 'x' }],
        max_tokens: 2,
        ignore_eos: true,
      });
      const m = (await get(multi.url, '/metrics')).text;
      expect(metricValue(m, 'vllm:generation_tokens_total', { model_name: 'org/other' })).toBe(2);
      expect(metricValue(m, 'vllm:generation_tokens_total', { model_name: SERVED })).toBe(0);
      const models = await get(multi.url, '/v1/models');
      expect(models.json.data.map((d: { id: string }) => d.id)).toEqual([SERVED, 'org/other']);
    } finally {
      await multi.close();
    }
  });
});
