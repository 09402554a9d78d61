/**
 * The Vercel AI SDK (`ai` with `@ai-sdk/openai-compatible`) against `citadel-llm sim`: tool calls
 * (generateText / streamText, toolChoice required, a named tool, auto on the model that has a tool
 * parser), generateObject, and vLLM's 400 for "auto" where the engine has none. Shapes from vLLM's
 * vllm/entrypoints/openai/serving_chat.py; the 400 from its create_chat_completion.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import Ajv from 'ajv';
import { APICallError, generateObject, NoObjectGeneratedError, generateText, jsonSchema, streamText, tool } from 'ai';
import { ADD_PARAMETERS, MIXTRAL, OPENCHAT, PERSON_SCHEMA, simPairForSuite, WEATHER_PARAMETERS } from './sim-processes';

const ajv = new Ajv({ strict: false });

const sims = simPairForSuite();

// The json-mode test checks the SDK's warning in the result; its console copy is noise here.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

const provider = (url: string) =>
  createOpenAICompatible({ name: 'vllm', baseURL: `${url}/v1`, apiKey: 'x', supportsStructuredOutputs: true, includeUsage: true });

const tools = {
  get_weather: tool({ description: 'Current weather in a city', inputSchema: jsonSchema<{ city: string; unit: string }>(WEATHER_PARAMETERS as never) }),
  add: tool({ description: 'Adds two integers', inputSchema: jsonSchema<{ a: number; b: number }>(ADD_PARAMETERS as never) }),
};

describe('the Vercel AI SDK', () => {
  it('generateText with toolChoice "required" gets calls whose input validates, and streamText assembles the same calls', async () => {
    for (const seed of [1, 2, 3]) {
      const args = { model: provider(sims.openchat)(OPENCHAT), prompt: 'Weather in Paris?', tools, toolChoice: 'required' as const, seed, maxRetries: 0 };
      const r = await generateText(args);
      expect(r.toolCalls.length).toBeGreaterThanOrEqual(1);
      for (const c of r.toolCalls) {
        if (c.toolName === 'get_weather') expect(ajv.validate(WEATHER_PARAMETERS, c.input)).toBe(true);
        else expect(ajv.validate(ADD_PARAMETERS, c.input)).toBe(true);
      }
      const s = streamText(args);
      const streamed = await s.toolCalls;
      expect(streamed.map((c) => [c.toolName, c.input])).toEqual(r.toolCalls.map((c) => [c.toolName, c.input]));
    }
  });

  it('a named tool: that tool, streamed and not', async () => {
    const args = { model: provider(sims.openchat)(OPENCHAT), prompt: 'Weather in Paris?', tools, toolChoice: { type: 'tool' as const, toolName: 'get_weather' as const }, seed: 9, maxRetries: 0 };
    const r = await generateText(args);
    expect(r.toolCalls.map((c) => c.toolName)).toEqual(['get_weather']);
    expect(ajv.validate(WEATHER_PARAMETERS, r.toolCalls[0].input)).toBe(true);
    const streamed = await streamText(args).toolCalls;
    expect(streamed.map((c) => [c.toolName, c.input])).toEqual(r.toolCalls.map((c) => [c.toolName, c.input]));
  });

  it('auto (the SDK\'s default) on Mixtral, whose vLLM has the mistral parser: tool calls or text, finishReason tool-calls for calls', async () => {
    const kinds = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const r = await generateText({ model: provider(sims.mixtral)(MIXTRAL), prompt: 'Weather in Paris?', tools, seed, maxRetries: 0 });
      if (r.toolCalls.length > 0) {
        kinds.add('call');
        expect(r.finishReason).toBe('tool-calls');
      } else {
        kinds.add('text');
        expect(r.text.length).toBeGreaterThan(0);
      }
    }
    expect(kinds).toEqual(new Set(['call', 'text']));
  });

  it('auto on OpenChat, whose vLLM was started without --enable-auto-tool-choice: vLLM\'s 400', async () => {
    const err = await generateText({ model: provider(sims.openchat)(OPENCHAT), prompt: 'Weather in Paris?', tools, maxRetries: 0 }).catch((e: unknown) => e);
    expect(APICallError.isInstance(err)).toBe(true);
    expect((err as APICallError).statusCode).toBe(400);
    expect((err as APICallError).message).toMatch(/"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set/);
  });

  it('generateObject in json mode (a provider without structured outputs: response_format json_object, no schema sent) follows the schema the prompt gives (a heuristic)', async () => {
    // @ai-sdk/openai-compatible sends {"type": "json_object"} and warns that the schema is not sent;
    // the user puts it into the system message. vLLM's json_object grammar allows any object
    // (vllm/entrypoints/openai/protocol.py); the model writes the one the prompt asks for.
    const jsonMode = createOpenAICompatible({ name: 'vllm', baseURL: `${sims.openchat}/v1`, apiKey: 'x' });
    // The SDK checks the answer against the schema with this validator (jsonSchema alone checks nothing).
    const person = jsonSchema<Record<string, unknown>>(PERSON_SCHEMA as never, {
      validate: (value) => (ajv.validate(PERSON_SCHEMA, value) ? { success: true, value: value as Record<string, unknown> } : { success: false, error: new Error(ajv.errorsText()) }),
    });
    for (const seed of [1, 2, 3]) {
      const r = await generateObject({
        model: jsonMode(OPENCHAT),
        system: `Answer with a JSON object that matches this JSON schema: ${JSON.stringify(PERSON_SCHEMA)}`,
        prompt: 'A person',
        schema: person,
        seed,
        maxRetries: 0,
      });
      expect(r.warnings?.some((w) => w.type === 'unsupported')).toBe(true);
      expect(ajv.validate(PERSON_SCHEMA, r.object)).toBe(true);
    }
    // Without the schema in the prompt the model's object does not fit it: the SDK's validation error.
    const err = await generateObject({ model: jsonMode(OPENCHAT), prompt: 'A person', schema: person, seed: 1, maxRetries: 0 }).catch((e: unknown) => e);
    expect(NoObjectGeneratedError.isInstance(err)).toBe(true);
  });

  it('generateObject returns an object valid against the schema', async () => {
    // The schema as JSON Schema (the SDK takes zod too; JSON Schema keeps type checking fast).
    for (const seed of [1, 2]) {
      const r = await generateObject({ model: provider(sims.openchat)(OPENCHAT), prompt: 'A person', schema: jsonSchema<Record<string, unknown>>(PERSON_SCHEMA as never), seed, maxRetries: 0 });
      expect(ajv.validate(PERSON_SCHEMA, r.object)).toBe(true);
    }
  });
});
