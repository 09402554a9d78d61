import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  ApiError,
  createTestingHttpApp,
  loadCitadelConfig,
  Mixtral8x7BModule,
  MixtralService,
  MixtralServiceConfig,
  ModelAppModule,
  ModelServiceConfig,
  RunningSimulator,
  simulatorModelFromConfig,
  startSimulator,
} from 'citadel-llm-server';
import { parsePrometheusText, sampleSum } from '../../src/bench/prometheus-text';
import { engineMetric, resetEngine, setFaults, waitFor } from '../support/engine-control';

/**
 * A model service's seed API in its app, the streaming methods (seed 1.4's stream_response)
 * above all, takes the HTTP requests' path:
 * admission (the model's cap, shared with HTTP requests), metrics, and aborts: leaving the loop
 * or aborting the caller's signal cancels the engine's request. Streams are held open with the
 * simulator's stall-after-K fault (K tokens, then the request stays running), so what a test
 * reads while one is open does not depend on timing.
 */
describe('ModelService.streamCompletion / streamChat (and generateCompletion / chat) in the model\'s app', () => {
  let engine: RunningSimulator;
  let app: NestFastifyApplication;
  let config: MixtralServiceConfig;
  let mixtral: MixtralService;
  const running = () => engineMetric(engine.url, 'vllm:num_requests_running');
  const gatewayMetric = async (name: string, labels: Record<string, string> = {}) => {
    const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    return sampleSum(parsePrometheusText(text), name, { model: 'mixtral-8x7b', ...labels });
  };

  beforeAll(async () => {
    config = loadCitadelConfig({ env: {}, only: ['mixtral-8x7b'] }).model('mixtral-8x7b') as MixtralServiceConfig;
    engine = await startSimulator({ models: [simulatorModelFromConfig(config)], instant: true }, { port: 0, host: '127.0.0.1' });
    config.engine.urls = [engine.url];
    // One request at a time: the cap (load shedding) shows admission applies to code and HTTP alike.
    config.service.max_concurrent_requests = 1;
    app = await createTestingHttpApp(await Test.createTestingModule({ imports: [ModelAppModule.forRoot(config)] }).compile());
    mixtral = app.get(MixtralService);
  });

  afterEach(async () => {
    await resetEngine(engine.url);
    await waitFor(async () => (await gatewayMetric('citadel_llm_active_requests')) === 0, 5_000, 'no request in progress');
  });

  afterAll(async () => {
    await app?.close();
    await engine?.close();
  });

  it('yields vLLM\'s completion chunks in order, the last with finish_reason, and counts the tokens', async () => {
    const before = await gatewayMetric('citadel_llm_tokens_total', { type: 'completion' });
    const completedBefore = await gatewayMetric('citadel_llm_streams_ended_total', { outcome: 'completed' });
    const answeredBefore = await gatewayMetric('citadel_llm_requests_total', { endpoint: 'completions', status: '200' });
    const chunks = [];
    for await (const chunk of mixtral.streamCompletion({ prompt: 'Explain quantum computing', max_tokens: 12 })) chunks.push(chunk);
    // A stream read to its end is complete (a 200), though the loop stops at [DONE] without pulling the relay's end.
    expect((await gatewayMetric('citadel_llm_streams_ended_total', { outcome: 'completed' })) - completedBefore).toBe(1);
    expect((await gatewayMetric('citadel_llm_requests_total', { endpoint: 'completions', status: '200' })) - answeredBefore).toBe(1);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((c) => c.object === 'text_completion' && c.model === 'mistralai/Mixtral-8x7B-Instruct-v0.1')).toBe(true);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('length');
    // The engine was asked for usage (as for every stream) and the tokens counted; the caller did not ask for the usage chunk.
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect((await gatewayMetric('citadel_llm_tokens_total', { type: 'completion' })) - before).toBe(12);
  });

  it('aborts the engine\'s request when the loop is left early, and frees the admission slot', async () => {
    await setFaults(engine.url, { stallAfterTokens: 2 });
    let chunks = 0;
    for await (const chunk of mixtral.streamChat({ messages: [{ role: 'user', content: 'Hello' }], max_tokens: 200 })) {
      expect(chunk.object).toBe('chat.completion.chunk');
      chunks++;
      // The engine holds the request running (stalled after 2 tokens) until it is aborted.
      expect(await running()).toBe(1);
      expect(await gatewayMetric('citadel_llm_active_requests')).toBe(1);
      // The cap is taken by this stream, for code and HTTP alike.
      await expect(mixtral.streamChat({ messages: [{ role: 'user', content: 'again' }] }).next()).rejects.toMatchObject({ status: 429 });
      await request(app.getHttpServer()).post('/v1/completions').send({ prompt: 'x', max_tokens: 1 }).expect(429);
      // The non-streaming seed API takes the same path in the app.
      await expect(mixtral.generateCompletion('x', { max_tokens: 1 })).rejects.toMatchObject({ status: 429 });
      await expect(mixtral.chat([{ role: 'user', content: 'x' }], { max_tokens: 1 })).rejects.toMatchObject({ status: 429 });
      break;
    }
    expect(chunks).toBe(1);
    await waitFor(async () => (await running()) === 0, 5_000, 'the engine to drop the request');
    expect(await gatewayMetric('citadel_llm_active_requests')).toBe(0);
    // The slot is free again.
    await setFaults(engine.url, { stallAfterTokens: 0 });
    const again = [];
    for await (const chunk of mixtral.streamChat({ messages: [{ role: 'user', content: 'Hello' }], max_tokens: 3 })) again.push(chunk);
    expect(again.length).toBeGreaterThan(0);
  });

  it('aborts the engine\'s request when the caller\'s signal aborts, rejecting with a 499', async () => {
    await setFaults(engine.url, { stallAfterTokens: 2 });
    const caller = new AbortController();
    const stream = mixtral.streamCompletion({ prompt: 'Hello', max_tokens: 200 }, caller.signal);
    await stream.next();
    expect(await running()).toBe(1);
    caller.abort();
    await expect(stream.next()).rejects.toMatchObject({ status: 499, code: 'cancelled' });
    await waitFor(async () => (await running()) === 0, 5_000, 'the engine to drop the request');
  });

  it('answers generateCompletion and chat on the same path: counted in requests_total, the engine\'s refusal relayed', async () => {
    const before = await gatewayMetric('citadel_llm_requests_total', { endpoint: 'completions', status: '200' });
    const answer = await mixtral.generateCompletion('Explain quantum computing', { max_tokens: 5 });
    expect(answer).toMatchObject({ object: 'text_completion', model: 'mistralai/Mixtral-8x7B-Instruct-v0.1', usage: { completion_tokens: 5 } });
    expect((await mixtral.chat([{ role: 'user', content: 'Hello' }], { max_tokens: 3 })).choices[0].message.role).toBe('assistant');
    expect((await gatewayMetric('citadel_llm_requests_total', { endpoint: 'completions', status: '200' })) - before).toBe(1);
    const refusedBefore = await gatewayMetric('citadel_llm_requests_total', { endpoint: 'completions', status: '400' });
    await expect(mixtral.generateCompletion('word '.repeat(40_000), { max_tokens: 10 })).rejects.toMatchObject({ status: 400 });
    expect((await gatewayMetric('citadel_llm_requests_total', { endpoint: 'completions', status: '400' })) - refusedBefore).toBe(1);
  });

  it('rejects with the engine\'s refusal (400, relayed) and with a failed stream\'s error event', async () => {
    // Over max_model_len: vLLM answers a stream request with its JSON 400.
    const refused = await mixtral.streamCompletion({ prompt: 'word '.repeat(40_000), max_tokens: 10 }).next().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 400 });
    // The engine fails after 2 tokens: vLLM's error event, thrown after the chunks before it with
    // the event's code as the status (vLLM's create_streaming_error_response in
    // vllm/entrypoints/openai/serving_engine.py sends code 400 by default; the simulator does too).
    await setFaults(engine.url, { failAfterTokens: 2 });
    const seen: unknown[] = [];
    const failed = await (async () => {
      for await (const chunk of mixtral.streamChat({ messages: [{ role: 'user', content: 'Hello' }], max_tokens: 50 })) seen.push(chunk);
    })().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ApiError);
    expect(failed).toMatchObject({ status: 400, message: expect.stringMatching(/^EngineCore encountered an issue/) });
    expect(seen.length).toBeGreaterThan(0);
  });

  it('has the validated config its app was given injectable by class (README "How the configuration reaches the modules")', () => {
    expect(app.get(MixtralServiceConfig)).toBe(config);
    expect(app.get(ModelServiceConfig)).toBe(config);
    expect(mixtral.config).toBe(config);
  });

  it('refuses to stream from a model module imported alone, naming the module that provides the path', async () => {
    const alone = await Test.createTestingModule({ imports: [Mixtral8x7BModule.forRoot(config)] }).compile();
    try {
      await expect(alone.get(MixtralService).streamChat({ messages: [{ role: 'user', content: 'Hello' }] }).next()).rejects.toThrow(/ModelAppModule\.forRoot/);
    } finally {
      await alone.close();
    }
  });
});
