/**
 * The Responses API with the clients that default to it or offer it, straight against
 * `citadel-llm sim` (no gateway): the Vercel AI SDK's `@ai-sdk/openai` provider (whose model call is
 * `POST /v1/responses`) and LangChain's `ChatOpenAI({ useResponsesApi: true })`. Shapes and errors
 * from vLLM 0.11's vllm/entrypoints/openai/serving_responses.py (create_responses, _make_request,
 * _make_invalid_id_error, _make_not_found_error, the non-harmony stream generator) and protocol.py
 * (ResponsesRequest: its `include` literals, to_sampling_params' json_object refusal).
 */
import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';
import Ajv from 'ajv';
import { APICallError, generateObject, generateText, jsonSchema, streamText, tool } from 'ai';
import { MIXTRAL, OPENCHAT, PERSON_SCHEMA, simPairForSuite, TOOLS, WEATHER_PARAMETERS } from './sim-processes';

const ajv = new Ajv({ strict: false });

const sims = simPairForSuite();

/** The AI SDK's OpenAI provider: `openai(model)` is a Responses model. */
const aiModel = (model = OPENCHAT, url = () => sims.openchat) => createOpenAI({ baseURL: `${url()}/v1`, apiKey: 'x' })(model);

async function apiError(p: Promise<unknown>): Promise<APICallError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(APICallError.isInstance(err)).toBe(true);
  return err as APICallError;
}

describe('the AI SDK (@ai-sdk/openai, Responses by default) against the simulator', () => {
  it('generateText: a "response" object, text and usage; cut by maxOutputTokens it still finishes "stop", as vLLM 0.11 reports status completed', async () => {
    const r = await generateText({ model: aiModel(), system: 'Be brief.', prompt: 'Hello there', maxRetries: 0 });
    expect((r.response.body as { object: string }).object).toBe('response');
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.finishReason).toBe('stop');
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.usage.totalTokens).toBe(r.usage.inputTokens! + r.usage.outputTokens!);

    const cut = await generateText({ model: aiModel(), prompt: 'Tell me a long story', maxOutputTokens: 5, temperature: 0.5, maxRetries: 0 });
    expect(cut.usage.outputTokens).toBe(5);
    expect(cut.finishReason).toBe('stop');
  });

  it('streamText: the streamed deltas make the same text and usage as generateText for the same prompt', async () => {
    const args = { model: aiModel(MIXTRAL, () => sims.mixtral), prompt: 'Stream me something', maxOutputTokens: 24, maxRetries: 0 };
    const whole = await generateText(args);
    const s = streamText(args);
    let text = '';
    for await (const part of s.textStream) text += part;
    expect(text).toBe(whole.text);
    expect((await s.usage).outputTokens).toBe(whole.usage.outputTokens);
    expect(await s.finishReason).toBe('stop');
  });

  it('generateObject (text.format json_schema): an object valid against the schema', async () => {
    const r = await generateObject({ model: aiModel(), prompt: 'A person', schema: jsonSchema<Record<string, unknown>>(PERSON_SCHEMA as never), maxRetries: 0 });
    expect(ajv.validate(PERSON_SCHEMA, r.object)).toBe(true);
  });

  it("generateObject without a schema (text.format json_object): vLLM 0.11's 500 (to_sampling_params raises NotImplementedError)", async () => {
    const err = await apiError(generateObject({ model: aiModel(), prompt: 'Anything', output: 'no-schema', maxRetries: 0 }));
    expect(err.statusCode).toBe(500);
    expect(err.responseBody).toContain('json_object is not supported');
  });

  it("function tools: vLLM 0.11's 400 without Harmony (serving_responses.py _make_request)", async () => {
    const err = await apiError(
      generateText({
        model: aiModel(),
        prompt: 'Weather in Paris?',
        tools: { get_weather: tool({ description: 'Weather', inputSchema: jsonSchema<{ city: string; unit: string }>(WEATHER_PARAMETERS as never) }) },
        maxRetries: 0,
      }),
    );
    expect(err.statusCode).toBe(400);
    expect(err.message).toContain('Tool use is not supported in Responses API without Harmony');
  });

  it("previousResponseId: vLLM's 400 for an id not starting with resp_, its 404 for an unknown one (the store is off)", async () => {
    const bad = await apiError(generateText({ model: aiModel(), prompt: 'Go on', providerOptions: { openai: { previousResponseId: 'abc' } }, maxRetries: 0 }));
    expect(bad.statusCode).toBe(400);
    expect(bad.message).toBe("Invalid 'response_id': 'abc'. Expected an ID that begins with 'resp'.");
    const unknown = await apiError(generateText({ model: aiModel(), prompt: 'Go on', providerOptions: { openai: { previousResponseId: 'resp_0000' } }, maxRetries: 0 }));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.message).toBe("Response with id 'resp_0000' not found.");
  });

  it("include values outside vLLM 0.11's ResponsesRequest literals: its validation 400", async () => {
    const err = await apiError(generateText({ model: aiModel(), prompt: 'Hi', providerOptions: { openai: { include: ['web_search_call.results'] } }, maxRetries: 0 }));
    expect(err.statusCode).toBe(400);
    expect(err.responseBody).toContain("'message.output_text.logprobs' or 'reasoning.encrypted_content'");
  });

  it('logprobs (include message.output_text.logprobs): the simulator says it does not imitate them, never a 200 without them', async () => {
    const err = await apiError(generateText({ model: aiModel(), prompt: 'Hi', providerOptions: { openai: { logprobs: 2 } }, maxRetries: 0 }));
    expect(err.statusCode).toBe(400);
    expect(err.message).toContain('does not imitate Responses API logprobs');
  });
});

describe('LangChain ChatOpenAI({ useResponsesApi: true }) against the simulator', () => {
  const chat = (extra: Record<string, unknown> = {}) =>
    new ChatOpenAI({ model: OPENCHAT, apiKey: 'x', maxRetries: 0, useResponsesApi: true, configuration: { baseURL: `${sims.openchat}/v1` }, ...extra });

  it('invoke and stream: the same text, usage from the response', async () => {
    const msg = await chat({ maxTokens: 20 }).invoke('Hello there');
    expect(msg.text.length).toBeGreaterThan(0);
    expect(msg.usage_metadata!.input_tokens).toBeGreaterThan(0);
    expect(msg.usage_metadata!.output_tokens).toBeLessThanOrEqual(20);

    let merged: Awaited<ReturnType<ReturnType<typeof chat>['invoke']>> | undefined;
    for await (const chunk of await chat({ maxTokens: 20 }).stream('Hello there')) merged = merged ? (merged.concat(chunk) as typeof merged) : chunk;
    expect(merged!.text).toBe(msg.text);
    expect(merged!.usage_metadata!.output_tokens).toBe(msg.usage_metadata!.output_tokens);
  });

  it('withStructuredOutput (jsonSchema, sent as text.format json_schema): an object valid against the schema', async () => {
    const out: unknown = await chat().withStructuredOutput({ title: 'person', ...PERSON_SCHEMA }, { method: 'jsonSchema', name: 'person' }).invoke('Describe a person');
    expect(ajv.validate(PERSON_SCHEMA, out)).toBe(true);
  });

  it("bindTools: vLLM 0.11's 400 without Harmony; jsonMode (text.format json_object): its 500", async () => {
    const toolErr = await chat()
      .bindTools(TOOLS)
      .invoke('Weather in Paris?')
      .catch((e: unknown) => e);
    expect((toolErr as { status?: number }).status).toBe(400);
    expect((toolErr as Error).message).toContain('Tool use is not supported in Responses API without Harmony');

    const jsonErr = await chat()
      .withStructuredOutput(PERSON_SCHEMA, { method: 'jsonMode' })
      .invoke('A person, in JSON')
      .catch((e: unknown) => e);
    expect((jsonErr as { status?: number }).status).toBe(500);
    expect((jsonErr as Error).message).toContain('json_object is not supported');
  });
});
