/**
 * The official OpenAI SDK, v5 and the latest major, against `citadel-llm sim` (child processes, the
 * shipped Mixtral and OpenChat configs) on the Responses API, as vLLM 0.11 serves it to a model that
 * is not gpt-oss (vllm/entrypoints/openai/serving_responses.py, api_server.py): create, a raw stream
 * (event: <type>, data: <json>), the store off by default, function tools refused.
 */
import OpenAI5 from 'openai';
import OpenAILatest from 'openai-latest';
import { MIXTRAL, OPENCHAT, simPairForSuite, TOOLS } from './sim-processes';

const sims = simPairForSuite();

describe.each([
  ['openai 5', OpenAI5 as unknown as typeof OpenAI5],
  ['openai latest', OpenAILatest as unknown as typeof OpenAI5],
])('%s: Responses API', (_label, OpenAI) => {
  const client = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });

  it('responses.create: a response with output_text and usage, on both models', async () => {
    for (const [url, model] of [
      [sims.mixtral, MIXTRAL],
      [sims.openchat, OPENCHAT],
    ] as const) {
      const r = await client(url).responses.create({ model, input: 'Hello there', instructions: 'Be brief.', max_output_tokens: 16 });
      expect(r.object).toBe('response');
      expect(r.status).toBe('completed');
      expect(r.model).toBe(model);
      expect(r.output_text.length).toBeGreaterThan(0);
      expect(r.usage!.input_tokens).toBeGreaterThan(0);
      expect(r.usage!.total_tokens).toBe(r.usage!.input_tokens + r.usage!.output_tokens);
    }
  });

  it('a raw stream: created, deltas, completed with the same text; retrieve is 404 with the store off', async () => {
    const c = client(sims.mixtral);
    const stream = await c.responses.create({ model: MIXTRAL, input: 'Stream it', max_output_tokens: 12, stream: true });
    const types: string[] = [];
    let text = '';
    let final = '';
    let id = '';
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === 'response.output_text.delta') text += e.delta;
      if (e.type === 'response.completed') {
        id = e.response.id;
        final = e.response.output.map((o: any) => o.content?.map((p: any) => p.text).join('') ?? '').join('');
      }
    }
    expect(types[0]).toBe('response.created');
    expect(types[types.length - 1]).toBe('response.completed');
    expect(final).toBe(text);
    const err = await c.responses.retrieve(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("function tools: vLLM 0.11's 400 without Harmony", async () => {
    const err = await client(sims.mixtral)
      .responses.create({
        model: MIXTRAL,
        input: 'Weather?',
        tools: TOOLS.map((t) => ({ type: 'function' as const, name: t.function.name, parameters: t.function.parameters, strict: false })),
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('Tool use is not supported in Responses API without Harmony');
  });
});
