/**
 * The official OpenAI SDK, v5 and the latest major, against `citadel-llm sim`: tool calls, structured
 * outputs and logprobs, each as vLLM 0.11 answers them. Shapes come from vLLM's
 * vllm/entrypoints/openai/serving_chat.py (tool calls, finish_reason, stream deltas, chat logprobs),
 * serving_completion.py (legacy logprobs), protocol.py (validation errors, max_logprobs).
 */
import Ajv from 'ajv';
import OpenAI5 from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import OpenAILatest from 'openai-latest';
import { z } from 'zod';
import { loadCitadelConfig } from '../../../src/config/config-loader';
import { simulatorModelFromConfig } from '../../../src/simulator/model-from-config';
import { startSimulator } from '../../../src/simulator/sim-server';
import { MIXTRAL, OPENCHAT, PERSON_SCHEMA, simPairForSuite, TOOLS, WEATHER_PARAMETERS } from './sim-processes';

const ajv = new Ajv({ strict: false });
const valid = (schema: object, value: unknown) => ajv.validate(schema, value) || ajv.errorsText();
const schemaOf = (name: string) => TOOLS.find((t) => t.function.name === name)!.function.parameters;
const messages = [{ role: 'user' as const, content: 'What is the weather in Paris?' }];

const sims = simPairForSuite();

// openai 7 declares Node >= 22; it runs on this Node (20) for everything used here.
describe.each([
  ['openai 5', OpenAI5 as unknown as typeof OpenAI5],
  ['openai latest', OpenAILatest as unknown as typeof OpenAI5],
])('%s', (_label, OpenAI) => {
  const client = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });

  it('named tool_choice: one call of that tool, arguments valid against its schema, content "", finish_reason "stop"; streamed, the same call and "tool_calls"', async () => {
    const body = { model: OPENCHAT, messages, tools: TOOLS, tool_choice: { type: 'function' as const, function: { name: 'get_weather' } }, seed: 7 };
    const r = await client(sims.openchat).chat.completions.create(body);
    const msg = r.choices[0].message;
    expect(msg.content).toBe('');
    expect(msg.tool_calls).toHaveLength(1);
    const call = msg.tool_calls![0] as { id: string; type: string; function: { name: string; arguments: string } };
    expect(call.id).toMatch(/^chatcmpl-tool-[0-9a-f]{32}$/);
    expect(call.type).toBe('function');
    expect(call.function.name).toBe('get_weather');
    expect(valid(WEATHER_PARAMETERS, JSON.parse(call.function.arguments))).toBe(true);
    expect(r.choices[0].finish_reason).toBe('stop');

    // The SDK's stream helper assembles the streamed deltas into the same call.
    const stream = client(sims.openchat).chat.completions.stream(body);
    const final = await stream.finalChatCompletion();
    const streamed = final.choices[0].message.tool_calls![0] as typeof call;
    expect({ name: streamed.function.name, arguments: streamed.function.arguments }).toEqual({ name: call.function.name, arguments: call.function.arguments });
    expect(streamed.id).toMatch(/^chatcmpl-tool-[0-9a-f]{32}$/);
    expect(final.choices[0].finish_reason).toBe('tool_calls');
  });

  it('"required": calls of the request\'s tools with valid arguments, content "", finish_reason "stop"; streamed, the same calls', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const body = { model: OPENCHAT, messages, tools: TOOLS, tool_choice: 'required' as const, seed };
      const r = await client(sims.openchat).chat.completions.create(body);
      const calls = r.choices[0].message.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>;
      expect(calls.length).toBeGreaterThanOrEqual(1);
      for (const c of calls) {
        expect(['get_weather', 'add']).toContain(c.function.name);
        expect(valid(schemaOf(c.function.name), JSON.parse(c.function.arguments))).toBe(true);
      }
      expect(r.choices[0].message.content).toBe('');
      expect(r.choices[0].finish_reason).toBe('stop');
      const final = await client(sims.openchat).chat.completions.stream(body).finalChatCompletion();
      const streamed = final.choices[0].message.tool_calls as typeof calls;
      expect(streamed.map((c) => [c.function.name, c.function.arguments])).toEqual(calls.map((c) => [c.function.name, c.function.arguments]));
    }
  });

  it('"auto" where the model\'s vLLM has a tool parser (Mixtral, mistral): a tool call (content null, 9-character ids, "tool_calls") or text, the same streamed', async () => {
    const kinds = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const body = { model: MIXTRAL, messages, tools: TOOLS, seed };
      const r = await client(sims.mixtral).chat.completions.create(body);
      const choice = r.choices[0];
      const final = await client(sims.mixtral).chat.completions.stream(body).finalChatCompletion();
      if (choice.message.tool_calls && choice.message.tool_calls.length > 0) {
        kinds.add('call');
        expect(choice.message.content).toBeNull();
        expect(choice.finish_reason).toBe('tool_calls');
        const calls = choice.message.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>;
        for (const c of calls) {
          expect(c.id).toMatch(/^[A-Za-z0-9]{9}$/);
          expect(valid(schemaOf(c.function.name), JSON.parse(c.function.arguments))).toBe(true);
        }
        const streamed = final.choices[0].message.tool_calls as typeof calls;
        expect(streamed.map((c) => [c.function.name, c.function.arguments])).toEqual(calls.map((c) => [c.function.name, c.function.arguments]));
        expect(final.choices[0].finish_reason).toBe('tool_calls');
      } else {
        kinds.add('text');
        expect(typeof choice.message.content).toBe('string');
        expect(final.choices[0].message.content).toBe(choice.message.content);
      }
    }
    expect(kinds).toEqual(new Set(['call', 'text']));
  });

  it("a tool result in the history: served with the shipped tool template (engine.vllm.chat_template); Mixtral's own template refuses the tool role, vLLM's 400", async () => {
    const followUp = {
      model: MIXTRAL,
      tools: TOOLS,
      messages: [
        ...messages,
        { role: 'assistant' as const, content: null, tool_calls: [{ id: 'abcDEF123', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city": "Paris", "unit": "celsius"}' } }] },
        { role: 'tool' as const, tool_call_id: 'abcDEF123', content: '{"temperature": 21}' },
      ],
    };
    // The shipped config starts Mixtral's engine with config/templates/mixtral-8x7b-tools.jinja.
    const answer = await client(sims.mixtral).chat.completions.create(followUp);
    expect(answer.choices[0].message.content!.length).toBeGreaterThan(0);
    // A vLLM started without --chat-template: Mixtral-8x7B-Instruct-v0.1's tokenizer_config template
    // raises on any role but user/assistant after the system message; vLLM answers the
    // TemplateError with a 400 (serving_chat.py).
    const own = await startSimulator({ models: [{ ...simulatorModelFromConfig(loadCitadelConfig({ only: ['mixtral-8x7b'] }).model('mixtral-8x7b')!), chatTemplate: undefined }], instant: true }, { port: 0, host: '127.0.0.1' });
    try {
      const err = await client(own.url).chat.completions.create(followUp).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/conversation roles must alternate user\/assistant/);
    } finally {
      await own.close();
    }
  });

  it('"auto" (and tools alone) without --enable-auto-tool-choice is vLLM\'s 400; tool_choice without tools too; "none" writes text', async () => {
    const oc = client(sims.openchat);
    for (const body of [{ tools: TOOLS }, { tools: TOOLS, tool_choice: 'auto' as const }]) {
      const err = await oc.chat.completions.create({ model: OPENCHAT, messages, ...body }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set/);
    }
    const noTools = await oc.chat.completions.create({ model: OPENCHAT, messages, tool_choice: 'required' }).catch((e: unknown) => e);
    expect(noTools).toBeInstanceOf(OpenAI.BadRequestError);
    expect((noTools as Error).message).toMatch(/When using `tool_choice`, `tools` must be set\./);
    const unknown = await oc.chat.completions.create({ model: OPENCHAT, messages, tools: TOOLS, tool_choice: { type: 'function', function: { name: 'nope' } } }).catch((e: unknown) => e);
    expect((unknown as Error).message).toMatch(/The tool specified in `tool_choice` does not match any of the specified `tools`/);
    const none = await oc.chat.completions.create({ model: OPENCHAT, messages, tools: TOOLS, tool_choice: 'none', max_tokens: 5 });
    expect(typeof none.choices[0].message.content).toBe('string');
    expect(none.choices[0].message.tool_calls).toEqual([]);
  });

  it('response_format json_schema: JSON valid against the schema; json_object: a JSON object; text: text', async () => {
    const oc = client(sims.openchat);
    for (const seed of [1, 2, 3]) {
      const r = await oc.chat.completions.create({
        model: OPENCHAT,
        messages,
        seed,
        response_format: { type: 'json_schema', json_schema: { name: 'person', schema: PERSON_SCHEMA, strict: true } },
      });
      expect(valid(PERSON_SCHEMA, JSON.parse(r.choices[0].message.content!))).toBe(true);
      expect(r.choices[0].finish_reason).toBe('stop');
    }
    const obj = await oc.chat.completions.create({ model: OPENCHAT, messages, response_format: { type: 'json_object' } });
    const parsed: unknown = JSON.parse(obj.choices[0].message.content!);
    expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
    const text = await oc.chat.completions.create({ model: OPENCHAT, messages, response_format: { type: 'text' }, max_tokens: 4, seed: 1 });
    expect(() => JSON.parse(text.choices[0].message.content!)).toThrow();
  });

  it('a max_tokens too small for the JSON cuts it: finish_reason "length", the text a prefix of the full answer', async () => {
    const body = { model: OPENCHAT, messages, seed: 3, response_format: { type: 'json_schema' as const, json_schema: { name: 'person', schema: PERSON_SCHEMA } } };
    const full = (await client(sims.openchat).chat.completions.create(body)).choices[0].message.content!;
    const cut = await client(sims.openchat).chat.completions.create({ ...body, max_tokens: 4 });
    expect(cut.choices[0].finish_reason).toBe('length');
    expect(full.startsWith(cut.choices[0].message.content!)).toBe(true);
    expect(() => JSON.parse(cut.choices[0].message.content!)).toThrow();
    expect(cut.usage?.completion_tokens).toBe(4);
  });

  it('chat logprobs: one entry per token with token, logprob <= 0, bytes and top_logprobs (k, descending, the sampled token first); streamed per chunk', async () => {
    const body = { model: OPENCHAT, messages, max_tokens: 6, seed: 2, logprobs: true, top_logprobs: 3 };
    const r = await client(sims.openchat).chat.completions.create(body);
    const content = r.choices[0].logprobs!.content!;
    expect(content).toHaveLength(r.usage!.completion_tokens);
    expect(content.map((c) => c.token).join('')).toContain(r.choices[0].message.content!);
    for (const c of content) {
      expect(c.logprob).toBeLessThanOrEqual(0);
      expect(c.bytes).toEqual([...Buffer.from(c.token, 'utf8')]);
      expect(c.top_logprobs).toHaveLength(3);
      expect(c.top_logprobs[0]).toEqual({ token: c.token, logprob: c.logprob, bytes: c.bytes });
      const values = c.top_logprobs.map((t) => t.logprob);
      expect([...values].sort((a, b) => b - a)).toEqual(values);
    }
    const chunks: Array<{ token: string; logprob: number }> = [];
    const stream = await client(sims.openchat).chat.completions.create({ ...body, stream: true });
    for await (const chunk of stream) for (const c of chunk.choices[0]?.logprobs?.content ?? []) chunks.push({ token: c.token, logprob: c.logprob });
    expect(chunks).toEqual(content.map((c) => ({ token: c.token, logprob: c.logprob })));
  });

  it('completions logprobs k: the legacy shape (tokens, token_logprobs, top_logprobs with k entries, text_offset)', async () => {
    const r = await client(sims.openchat).completions.create({ model: OPENCHAT, prompt: 'Once upon a time', max_tokens: 5, logprobs: 2, seed: 4 });
    const lp = r.choices[0].logprobs!;
    expect(lp.tokens!.join('')).toContain(r.choices[0].text);
    expect(lp.token_logprobs).toHaveLength(lp.tokens!.length);
    expect(lp.top_logprobs!.every((t) => Object.keys(t).length === 2)).toBe(true);
    let offset = 0;
    lp.tokens!.forEach((t, i) => {
      expect(lp.text_offset![i]).toBe(offset);
      offset += t.length;
      expect(lp.top_logprobs![i][t]).toBe(lp.token_logprobs![i]);
    });
  });

  it('more logprobs than max_logprobs (20) is vLLM\'s 400', async () => {
    const err = await client(sims.openchat).chat.completions.create({ model: OPENCHAT, messages, logprobs: true, top_logprobs: 21 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/Requested sample logprobs of 21, which is greater than max allowed: 20/);
  });
});

describe('openai 5 structured-output helper', () => {
  it('chat.completions.parse with zodResponseFormat returns the parsed object', async () => {
    const Person = z.object({ name: z.string().min(1), age: z.number().int().min(0).max(120), tags: z.array(z.string()).max(3) });
    const client = new OpenAI5({ baseURL: `${sims.openchat}/v1`, apiKey: 'x', maxRetries: 0 });
    const r = await client.chat.completions.parse({ model: OPENCHAT, messages, seed: 5, response_format: zodResponseFormat(Person, 'person') });
    const parsed = r.choices[0].message.parsed;
    expect(Person.safeParse(parsed).success).toBe(true);
  });
});
