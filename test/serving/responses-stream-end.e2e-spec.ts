import OpenAI from 'openai';
import { parsePrometheusText, sampleValue } from '../../src/bench/prometheus-text';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { resetEngine, setFaults } from '../support/engine-control';
import { startCitadel } from '../support/start-citadel';

/**
 * How a Responses stream ends through the gateway, with the official openai SDK. A stream the
 * engine breaks off (vLLM 0.11 closes the connection when its Responses generator fails:
 * serving_responses.py, imitated by the simulator's die-after-K and fail-after-K) ends with
 * `response.failed` (the response of its response.created event, status "failed", an error), the
 * terminal event Responses clients wait for, never with chat's `[DONE]`. And Responses usage
 * (input/output tokens, in the JSON answer and in a stream's response.completed) is counted in
 * citadel_llm_tokens_total.
 */
describe('Responses streams: failure event and usage through the gateway', () => {
  let server: ServiceOrchestrator;
  let gateway: OpenAI;
  let engineUrl: string;

  beforeAll(async () => {
    server = await startCitadel();
    gateway = new OpenAI({ baseURL: `${server.gatewayUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
    engineUrl = server.models.find((m) => m.id === 'openchat-3.5')!.engineUrls[0];
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  const tokens = async (type: string) => sampleValue(parsePrometheusText(await (await fetch(`${server.gatewayUrl}/metrics`)).text()), 'citadel_llm_tokens_total', { model: 'openchat-3.5', type }) ?? 0;

  it.each([['dieAfterTokens'], ['failAfterTokens']])('a stream the engine breaks off (%s) ends with response.failed', async (fault) => {
    await setFaults(engineUrl, { [fault]: 3 });
    try {
      const stream = await gateway.responses.create({ model: 'openchat', input: 'Tell me a long story', max_output_tokens: 50, stream: true });
      const events: any[] = [];
      for await (const event of stream) events.push(event);
      const last = events[events.length - 1];
      expect(events[0].type).toBe('response.created');
      expect(last.type).toBe('response.failed');
      expect(last.response).toMatchObject({ id: events[0].response.id, object: 'response', model: 'openchat/openchat-3.5-0106', status: 'failed', error: { code: 'server_error', message: expect.stringMatching(/closed the stream/) } });
      expect(last.sequence_number).toBe(events.length - 1);
      expect(events.some((e) => e.type === 'response.completed')).toBe(false);
    } finally {
      await resetEngine(engineUrl);
    }
  });

  it('counts the usage of Responses answers, streamed and not, in tokens_total', async () => {
    const before = { prompt: await tokens('prompt'), completion: await tokens('completion') };
    const plain = await gateway.responses.create({ model: 'openchat', input: 'Count these tokens', max_output_tokens: 8 });
    const stream = await gateway.responses.create({ model: 'openchat', input: 'Count these too', max_output_tokens: 8, stream: true });
    let streamed: { input_tokens: number; output_tokens: number } | undefined;
    for await (const event of stream) if (event.type === 'response.completed') streamed = event.response.usage ?? undefined;
    expect(await tokens('prompt')).toBe(before.prompt + plain.usage!.input_tokens + streamed!.input_tokens);
    expect(await tokens('completion')).toBe(before.completion + plain.usage!.output_tokens + streamed!.output_tokens);
  });
});
