/**
 * usage and /tokenize against the tokenizer libraries' own counts, for every model the project
 * serves. vLLM's shapes: usage as vllm/entrypoints/openai/protocol.py UsageInfo (prompt tokens =
 * the engine prompt's length, serving_chat.py / serving_completion.py), /tokenize as
 * serving_tokenization.py (messages: chat template, add_special_tokens false by default).
 */
import { startSimulator } from '../../src/simulator/sim-server';
import { FAMILIES, FamilyName } from '../../src/simulator/tokenizers/families';
import type { RunningSimulator } from '../../src/simulator/types';
import { post, testModel } from './helpers';
import { libraryChatCount, libraryPromptCount } from './library-counts';

const MODELS: Array<{ served: string; family: FamilyName }> = [
  { served: 'mistralai/Mixtral-8x7B-Instruct-v0.1', family: 'mixtral' },
  { served: 'openchat/openchat-3.5-0106', family: 'openchat' },
  { served: 'microsoft/Phi-3-mini-4k-instruct', family: 'phi3' },
  { served: '01-ai/Yi-34B-Chat', family: 'yi' },
];

const CHATS = [
  [{ role: 'user', content: 'Hello!' }],
  [
    { role: 'system', content: 'You answer in one short sentence.' },
    { role: 'user', content: 'What is the capital of France?' },
  ],
  [
    { role: 'user', content: 'Count: one, two, three…' },
    { role: 'assistant', content: 'four, five.' },
    { role: 'user', content: 'Unicode: ünïcödé 🦙 日本語\n\tand a tab.' },
  ],
];

const PROMPTS = ['Once upon a time', 'def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)', 'A'.repeat(3000)];

describe('token counts match the tokenizer libraries, for every model', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator(
      { models: MODELS.map((m, i) => testModel({ id: `m${i}`, servedName: m.served, maxModelLen: 8192 })), instant: true },
      { port: 0, host: '127.0.0.1' },
    );
  });
  afterAll(() => sim.close());

  for (const { served, family } of MODELS) {
    it(`${served}: chat and completion prompt_tokens, completion_tokens, /tokenize`, async () => {
      for (const messages of CHATS) {
        const expected = libraryChatCount(family, messages);
        const r = await post(sim.url, '/v1/chat/completions', { model: served, messages, max_tokens: 9, ignore_eos: true });
        expect(r.status).toBe(200);
        expect(r.json.usage.prompt_tokens).toBe(expected);
        expect(r.json.usage.completion_tokens).toBe(9);
        // The generated text is 9 tokens of the same vocabulary.
        expect(libraryPromptCount(family, r.json.choices[0].message.content) - (FAMILIES[family].addBosToken ? 1 : 0)).toBe(9);
        const t = await post(sim.url, '/tokenize', { model: served, messages });
        expect(t.json.count).toBe(expected);
      }
      for (const prompt of PROMPTS) {
        const expected = libraryPromptCount(family, prompt);
        const r = await post(sim.url, '/v1/completions', { model: served, prompt, max_tokens: 5, ignore_eos: true });
        expect(r.status).toBe(200);
        expect(r.json.usage.prompt_tokens).toBe(expected);
        const t = await post(sim.url, '/tokenize', { model: served, prompt });
        expect(t.json.count).toBe(expected);
      }
    });
  }

  it('the context-length check counts the same way (Phi-3: a prompt one token short of max_model_len)', async () => {
    const served = 'microsoft/Phi-3-mini-4k-instruct';
    const prompt = 'A'.repeat(3000);
    const tokens = libraryPromptCount('phi3', prompt);
    const ok = await post(sim.url, '/v1/completions', { model: served, prompt, max_tokens: 8192 - tokens });
    expect(ok.status).toBe(200);
    const over = await post(sim.url, '/v1/completions', { model: served, prompt, max_tokens: 8193 - tokens });
    expect(over.status).toBe(400);
    expect(over.json.error.message).toContain(`your request has ${tokens} input tokens`);
  });
});

describe('tool messages in the history, on a template that takes them', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ models: [testModel()], instant: true }, { port: 0, host: '127.0.0.1' });
  });
  afterAll(() => sim.close());

  it('assistant tool_calls and a tool result are rendered (the default ChatML template) and counted', async () => {
    const messages = [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'abcDEF123', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'abcDEF123', content: '{"temperature": 21}' },
    ];
    const r = await post(sim.url, '/v1/chat/completions', { messages, max_tokens: 4 });
    expect(r.status).toBe(200);
    expect(r.json.usage.prompt_tokens).toBe(
      libraryChatCount('default', [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: '' },
        { role: 'tool', content: '{"temperature": 21}' },
      ]),
    );
  });
});
