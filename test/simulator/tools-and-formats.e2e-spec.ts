/**
 * The wire shapes of tool calls, structured outputs and logprobs, byte for byte where vLLM fixes
 * them: stream deltas from vllm/entrypoints/openai/serving_chat.py (named: every token a delta of
 * index = the choice's index; "required": extract_tool_call_required_streaming, later fragments
 * with "name": null; auto with the mistral parser: the name delta, then argument fragments), the
 * finish_reason of each case, and the version rules of protocol.py.
 */
import type { RunningSimulator } from '../../src/simulator/types';
import { post, SERVED, sseChunks, startTestSimulator, testModel } from './helpers';

const tools = [
  { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } },
  { type: 'function', function: { name: 'count', parameters: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } } },
];
const messages = [{ role: 'user', content: 'go' }];

describe('tool calls on the wire', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ models: [testModel({ enableAutoToolChoice: true, toolCallParser: 'mistral' })] });
  });
  afterAll(() => sim.close());

  it('named: the first delta carries id, type, index, name and arguments; later ones index and arguments; non-streaming finish "stop", streamed "tool_calls"', async () => {
    const body = { messages, tools, tool_choice: { type: 'function', function: { name: 'count' } }, seed: 5 };
    const plain = (await post(sim.url, '/v1/chat/completions', body)).json;
    expect(plain.choices[0].finish_reason).toBe('stop');
    const args = plain.choices[0].message.tool_calls[0].function.arguments;
    const chunks = sseChunks((await post(sim.url, '/v1/chat/completions', { ...body, stream: true })).text);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const deltas = chunks.slice(1).map((c) => c.choices[0].delta.tool_calls[0]);
    expect(Object.keys(deltas[0])).toEqual(['id', 'type', 'index', 'function']);
    expect(deltas[0]).toMatchObject({ type: 'function', index: 0, function: { name: 'count' } });
    for (const d of deltas.slice(1)) expect(Object.keys(d)).toEqual(['index', 'function']);
    expect(deltas.map((d) => d.function.arguments).join('')).toBe(args);
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('tool_calls');
  });

  it('"required": nothing before the arguments, then id/type/index/name, then {"name": null, "arguments"} fragments; the final chunk an empty delta', async () => {
    const body = { messages, tools, tool_choice: 'required', seed: 8 };
    const plain = (await post(sim.url, '/v1/chat/completions', body)).json;
    const calls = plain.choices[0].message.tool_calls;
    const chunks = sseChunks((await post(sim.url, '/v1/chat/completions', { ...body, stream: true })).text).slice(1);
    const last = chunks.pop();
    expect(last.choices[0]).toMatchObject({ delta: {}, finish_reason: 'tool_calls' });
    const byIndex = new Map<number, string>();
    for (const c of chunks) {
      for (const d of c.choices[0].delta.tool_calls) {
        if (!byIndex.has(d.index)) expect(d).toMatchObject({ id: expect.stringMatching(/^chatcmpl-tool-/), type: 'function', function: { name: calls[d.index].function.name } });
        else expect(d.function.name).toBeNull();
        byIndex.set(d.index, (byIndex.get(d.index) ?? '') + d.function.arguments);
      }
    }
    expect([...byIndex.values()]).toEqual(calls.map((c: { function: { arguments: string } }) => c.function.arguments));
  });

  it('auto with the mistral parser: a name delta without arguments, then fragments; content null and finish "tool_calls" non-streaming', async () => {
    let seed = 0;
    let plain: any;
    do plain = (await post(sim.url, '/v1/chat/completions', { messages, tools, seed: ++seed })).json;
    while (plain.choices[0].message.tool_calls.length === 0 && seed < 50);
    expect(plain.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { content: null } });
    const chunks = sseChunks((await post(sim.url, '/v1/chat/completions', { messages, tools, seed, stream: true })).text).slice(1);
    const deltas = chunks.flatMap((c) => c.choices[0].delta.tool_calls ?? []);
    expect(deltas[0]).toEqual({ id: expect.stringMatching(/^[A-Za-z0-9]{9}$/), type: 'function', index: 0, function: { name: plain.choices[0].message.tool_calls[0].function.name } });
    expect(deltas.filter((d) => d.index === 0 && d.function.arguments !== undefined).map((d) => d.function.arguments).join('')).toBe(
      plain.choices[0].message.tool_calls[0].function.arguments,
    );
  });

  it('"required" cut by max_tokens is pydantic\'s 400 (vLLM parses the list); auto cut by max_tokens stays text', async () => {
    const cut = await post(sim.url, '/v1/chat/completions', { messages, tools, tool_choice: 'required', seed: 8, max_tokens: 3 });
    expect(cut.status).toBe(400);
    expect(cut.json.error.message).toMatch(/validation error for list\[FunctionDefinition\]/);
    let seed = 0;
    let full: any;
    do full = (await post(sim.url, '/v1/chat/completions', { messages, tools, seed: ++seed })).json;
    while (full.choices[0].message.tool_calls.length === 0 && seed < 50);
    const autoCut = (await post(sim.url, '/v1/chat/completions', { messages, tools, seed, max_tokens: 4 })).json;
    expect(autoCut.choices[0]).toMatchObject({ finish_reason: 'length', message: { tool_calls: [] } });
    // The parser cannot load the cut list: the text without [TOOL_CALLS] is the content.
    expect(autoCut.choices[0].message.content).toMatch(/^\[/);
  });
});

describe('answering as the vLLM version it claims', () => {
  it('0.11: guided_choice is honoured; 0.12: it is an unknown field, ignored (free text)', async () => {
    for (const [version, constrained] of [['0.11.0', true], ['0.12.0', false]] as const) {
      const sim = await startTestSimulator({ vllmVersion: version });
      try {
        const r = await post(sim.url, '/v1/chat/completions', { model: SERVED, messages, guided_choice: ['alpha', 'beta'], max_tokens: 8, seed: 1 });
        expect(r.status).toBe(200);
        expect(['alpha', 'beta'].includes(r.json.choices[0].message.content)).toBe(constrained);
        const so = await post(sim.url, '/v1/chat/completions', { model: SERVED, messages, structured_outputs: { choice: ['alpha', 'beta'] }, seed: 1 });
        expect(['alpha', 'beta']).toContain(so.json.choices[0].message.content);
      } finally {
        await sim.close();
      }
    }
  });

  it('a simulator configured with a tool parser it does not imitate refuses to start', async () => {
    await expect(startTestSimulator({ models: [testModel({ enableAutoToolChoice: true, toolCallParser: 'hermes' })] })).rejects.toThrow(/does not imitate the 'hermes' tool-call parser/);
    await expect(startTestSimulator({ models: [testModel({ enableAutoToolChoice: true })] })).rejects.toThrow(/requires --tool-call-parser/);
  });
});
