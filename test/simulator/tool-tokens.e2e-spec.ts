/**
 * Tool definitions count as prompt tokens, as vLLM renders them into the prompt with the chat
 * template (vllm/entrypoints/openai/serving_chat.py passes `tool_dicts` to apply_chat_template, also
 * for tool_choice "none"; /tokenize's TokenizeChatRequest in protocol.py takes `tools` too). The
 * simulator's rendering of them is a heuristic in the form of vLLM's
 * examples/tool_chat_template_mistral*.jinja (src/simulator/tokenizers/tool-prompt.ts); the counts
 * here come from the tokenizer libraries directly. Cases: every model, tool_choice "none",
 * "required" and named, /tokenize, and the max_model_len checks (prompt alone, prompt + max_tokens).
 */
import llama from 'llama-tokenizer-js';
import mistral from 'mistral-tokenizer-js';
import { startSimulator } from '../../src/simulator/sim-server';
import { FAMILIES, FamilyName } from '../../src/simulator/tokenizers/families';
import type { RunningSimulator } from '../../src/simulator/types';
import { post, testModel } from './helpers';
import { libraryChatCount } from './library-counts';

const MODELS: Array<{ served: string; family: FamilyName }> = [
  { served: 'mistralai/Mixtral-8x7B-Instruct-v0.1', family: 'mixtral' },
  { served: 'openchat/openchat-3.5-0106', family: 'openchat' },
  { served: 'microsoft/Phi-3-mini-4k-instruct', family: 'phi3' },
  { served: '01-ai/Yi-34B-Chat', family: 'yi' },
];

const TOOLS = [
  {
    type: 'function',
    function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  },
];
/** The block as vLLM's Mistral tool templates write it: Python's json.dumps of the dumped tools. */
const TOOLS_TEXT =
  '[AVAILABLE_TOOLS] [{"type": "function", "function": {"name": "get_weather", "description": "Current weather", ' +
  '"parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}][/AVAILABLE_TOOLS]';

const MESSAGES = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Weather in Paris?' },
];

function libraryTextCount(family: FamilyName, text: string): number {
  const lib = (FAMILIES[family].vocabulary === 'mistral-7b' ? mistral : llama) as unknown as { encode(t: string, bos: boolean, space: boolean): number[] };
  return lib.encode(text, false, true).length;
}

describe('tool definitions in prompt_tokens', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ models: MODELS.map((m, i) => testModel({ id: `m${i}`, servedName: m.served })), instant: true }, { port: 0, host: '127.0.0.1' });
  });
  afterAll(() => sim.close());

  for (const { served, family } of MODELS) {
    it(`${served}: tools add their rendered tokens, whatever the tool_choice; /tokenize counts them too`, async () => {
      const plain = libraryChatCount(family, MESSAGES);
      const expected = plain + libraryTextCount(family, TOOLS_TEXT);
      expect(expected).toBeGreaterThan(plain + 40);

      const without = await post(sim.url, '/v1/chat/completions', { model: served, messages: MESSAGES, max_tokens: 3 });
      expect(without.json.usage.prompt_tokens).toBe(plain);
      for (const tool_choice of ['none', 'required', { type: 'function', function: { name: 'get_weather' } }]) {
        const r = await post(sim.url, '/v1/chat/completions', { model: served, messages: MESSAGES, tools: TOOLS, tool_choice, max_tokens: 200 });
        expect(r.status).toBe(200);
        expect(r.json.usage.prompt_tokens).toBe(expected);
      }
      const t = await post(sim.url, '/tokenize', { model: served, messages: MESSAGES, tools: TOOLS });
      expect(t.json.count).toBe(expected);
      const bare = await post(sim.url, '/tokenize', { model: served, messages: MESSAGES });
      expect(bare.json.count).toBe(plain);
    });
  }

  it('the max_model_len checks include the tools: messages that fit alone do not fit with them', async () => {
    const family = 'openchat';
    const plain = libraryChatCount(family, MESSAGES);
    const withTools = plain + libraryTextCount(family, TOOLS_TEXT);
    const limit = plain + 10;
    const small = await startSimulator(
      { models: [testModel({ id: 'oc', servedName: 'openchat/openchat-3.5-0106', maxModelLen: limit })], instant: true },
      { port: 0, host: '127.0.0.1' },
    );
    try {
      const ok = await post(small.url, '/v1/chat/completions', { messages: MESSAGES, max_tokens: 10 });
      expect(ok.status).toBe(200);
      const over = await post(small.url, '/v1/chat/completions', { messages: MESSAGES, tools: TOOLS, tool_choice: 'none', max_tokens: 1 });
      expect(over.status).toBe(400);
      expect(over.json.error.message).toBe(
        `This model's maximum context length is ${limit} tokens. However, your request has ${withTools} input tokens. Please reduce the length of the input messages. None`,
      );
    } finally {
      await small.close();
    }
  });

  it('prompt + max_tokens over max_model_len counts the tools in the prompt', async () => {
    const family = 'openchat';
    const withTools = libraryChatCount(family, MESSAGES) + libraryTextCount(family, TOOLS_TEXT);
    const limit = withTools + 20;
    const small = await startSimulator(
      { models: [testModel({ id: 'oc', servedName: 'openchat/openchat-3.5-0106', maxModelLen: limit })], instant: true },
      { port: 0, host: '127.0.0.1' },
    );
    try {
      const body = { messages: MESSAGES, tools: TOOLS, tool_choice: 'none' };
      expect((await post(small.url, '/v1/chat/completions', { ...body, max_tokens: 20 })).status).toBe(200);
      const over = await post(small.url, '/v1/chat/completions', { ...body, max_tokens: 21 });
      expect(over.status).toBe(400);
      expect(over.json.error.message).toContain(`your request has ${withTools} input tokens (21 > ${limit} - ${withTools})`);
    } finally {
      await small.close();
    }
  });
});
