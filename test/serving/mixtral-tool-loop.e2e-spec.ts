import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { startCitadel } from '../support/start-citadel';
import { TOOLS } from '../simulator/clients/sim-processes';

/**
 * A whole tool loop through the gateway with the official openai SDK, on Mixtral as shipped
 * (auto tool choice, vLLM's `mistral` parser, config/templates/mixtral-8x7b-tools.jinja as its
 * chat template): the model calls a tool, the client sends the tool's result back in a `tool`
 * message, the model answers in text. Shapes as vLLM's serving_chat.py and mistral_tool_parser.py
 * give them; without the template that follow-up is vLLM's 400 (test/simulator/clients/openai-sdk-features).
 * Covered: the follow-up not streamed and streamed, and its prompt counting the tool call and result.
 */
describe('Mixtral tool loop through the gateway (call → tool result → answer)', () => {
  let server: ServiceOrchestrator;
  let gateway: OpenAI;

  beforeAll(async () => {
    server = await startCitadel();
    gateway = new OpenAI({ baseURL: `${server.gatewayUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  /** The first turn: "auto" calls a tool 3 times in 4 (seeded), so the first seed that calls one. */
  async function firstCall(history: ChatCompletionMessageParam[]) {
    for (let seed = 1; seed <= 20; seed++) {
      const r = await gateway.chat.completions.create({ model: 'mixtral', messages: history, tools: TOOLS, seed, max_tokens: 200 });
      if (r.choices[0].message.tool_calls?.length) return r;
    }
    throw new Error('no seed from 1 to 20 made a tool call');
  }

  it('call → tool result → answer, and the same follow-up streamed', async () => {
    const history: ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const first = await firstCall(history);
    expect(first.choices[0].finish_reason).toBe('tool_calls');
    const assistant = first.choices[0].message;
    history.push({ role: 'assistant', content: assistant.content, tool_calls: assistant.tool_calls });
    for (const call of assistant.tool_calls!) {
      expect(call.id).toMatch(/^[A-Za-z0-9]{9}$/);
      history.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify({ temperature: 21, unit: 'celsius' }) });
    }

    const answer = await gateway.chat.completions.create({ model: 'mixtral', messages: history, tools: TOOLS, max_tokens: 30 });
    expect(answer.choices[0].message.tool_calls ?? []).toEqual([]);
    expect(answer.choices[0].message.content!.length).toBeGreaterThan(0);
    // The template rendered the call and its result into the prompt.
    expect(answer.usage!.prompt_tokens).toBeGreaterThan(first.usage!.prompt_tokens);

    const stream = await gateway.chat.completions.create({ model: 'mixtral', messages: history, tools: TOOLS, max_tokens: 30, stream: true });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).not.toBe('tool_calls');
  });
});
