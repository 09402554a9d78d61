/**
 * LangChain.js (`@langchain/openai`) against `citadel-llm sim`: bound tools with a forced choice,
 * streamed and not; withStructuredOutput (its json-schema and function-calling methods); logprobs.
 * Shapes from vLLM's vllm/entrypoints/openai/serving_chat.py.
 */
import { ChatOpenAI } from '@langchain/openai';
import Ajv from 'ajv';
import { z } from 'zod';
import { OPENCHAT, PERSON_SCHEMA, simPairForSuite, TOOLS, WEATHER_PARAMETERS } from './sim-processes';

const ajv = new Ajv({ strict: false });

const sims = simPairForSuite();

const chat = (extra: Record<string, unknown> = {}) =>
  new ChatOpenAI({ model: OPENCHAT, apiKey: 'x', maxRetries: 0, configuration: { baseURL: `${sims.openchat}/v1` }, ...extra });

describe('LangChain.js ChatOpenAI', () => {
  it('bindTools with a named tool: one call with valid args; streamed chunks concatenate to the same call', async () => {
    const model = chat({ seed: 11 }).bindTools(TOOLS, { tool_choice: { type: 'function', function: { name: 'get_weather' } } });
    const msg = await model.invoke('Weather in Paris?');
    expect(msg.tool_calls).toHaveLength(1);
    expect(msg.tool_calls![0].name).toBe('get_weather');
    expect(ajv.validate(WEATHER_PARAMETERS, msg.tool_calls![0].args)).toBe(true);

    let merged: Awaited<ReturnType<typeof model.invoke>> | undefined;
    for await (const chunk of await model.stream('Weather in Paris?')) merged = merged ? (merged.concat(chunk) as typeof merged) : chunk;
    expect(merged!.tool_calls!.map((c) => [c.name, c.args])).toEqual(msg.tool_calls!.map((c) => [c.name, c.args]));
  });

  it('bindTools with tool_choice "required": calls of the bound tools', async () => {
    const msg = await chat({ seed: 12 }).bindTools(TOOLS, { tool_choice: 'required' }).invoke('Add 2 and 3, or look up the weather');
    expect(msg.tool_calls!.length).toBeGreaterThanOrEqual(1);
    for (const c of msg.tool_calls!) expect(['get_weather', 'add']).toContain(c.name);
  });

  it.each(['jsonSchema', 'functionCalling'] as const)('withStructuredOutput (%s) returns an object valid against the schema, never null', async (method) => {
    // The schema as JSON Schema (LangChain takes zod too; JSON Schema keeps type checking fast).
    for (const seed of [1, 2]) {
      const out: unknown = await chat({ seed }).withStructuredOutput({ title: 'person', ...PERSON_SCHEMA }, { method, name: 'person' }).invoke('Describe a person');
      expect(out).not.toBeNull();
      expect(ajv.validate(PERSON_SCHEMA, out)).toBe(true);
    }
  });

  it('withStructuredOutput (jsonMode) sends only response_format json_object; the answer follows the schema the prompt gives (a heuristic), else a generic object', async () => {
    // LangChain puts no schema in the request in json mode (chat_models/base.js): the user writes it
    // into the prompt, as its docs show. vLLM's json_object grammar allows any object; the model
    // writes the one the prompt asks for (vllm/entrypoints/openai/protocol.py, response_format).
    const prompt = `Describe a person. Answer with a JSON object valid against this JSON schema: ${JSON.stringify(PERSON_SCHEMA)}`;
    for (const seed of [1, 2, 3]) {
      const out: unknown = await chat({ seed }).withStructuredOutput(PERSON_SCHEMA, { method: 'jsonMode' }).invoke(prompt);
      expect(ajv.validate(PERSON_SCHEMA, out)).toBe(true);
    }
    const free: unknown = await chat({ seed: 4 }).withStructuredOutput(PERSON_SCHEMA, { method: 'jsonMode' }).invoke('Describe a person, in JSON');
    expect(typeof free).toBe('object');
    expect(ajv.validate(PERSON_SCHEMA, free)).toBe(false);
  });

  it('withStructuredOutput (jsonMode) with a zod schema: LangChain\'s own validation passes when the prompt gives the schema, and fails (its parser\'s error) when it does not', async () => {
    const person = z.object({ name: z.string().min(1), age: z.number().int().min(0).max(120), tags: z.array(z.string()).max(3) });
    const prompt = `Describe a person. Answer with a JSON object valid against this JSON schema: ${JSON.stringify(PERSON_SCHEMA)}`;
    const out = await chat({ seed: 5 }).withStructuredOutput(person, { method: 'jsonMode' }).invoke(prompt);
    expect(person.safeParse(out).success).toBe(true);
    const err = await chat({ seed: 5 })
      .withStructuredOutput(person, { method: 'jsonMode' })
      .invoke('Describe a person, in JSON')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/Failed to parse/);
  });

  it('logprobs: response_metadata carries vLLM\'s content entries with top_logprobs', async () => {
    const msg = await chat({ seed: 3, maxTokens: 5, logprobs: true, topLogprobs: 2 }).invoke('Say something');
    const content = (msg.response_metadata as { logprobs: { content: Array<{ token: string; logprob: number; top_logprobs: unknown[] }> } }).logprobs.content;
    expect(content.length).toBeGreaterThan(0);
    for (const c of content) {
      expect(c.logprob).toBeLessThanOrEqual(0);
      expect(c.top_logprobs).toHaveLength(2);
    }
  });
});
