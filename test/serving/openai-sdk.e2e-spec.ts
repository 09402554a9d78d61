import OpenAI from 'openai';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { startCitadel } from '../support/start-citadel';

/** The official SDK is the test client: if it can't use an endpoint, the endpoint is wrong. */
describe('OpenAI SDK against the server (all four models, simulated engines)', () => {
  let server: ServiceOrchestrator;
  const clients: Record<string, OpenAI> = {};

  beforeAll(async () => {
    server = await startCitadel();
    for (const m of server.models) clients[m.id] = new OpenAI({ baseURL: `${m.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    clients.gateway = new OpenAI({ baseURL: `${server.gatewayUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('serves the four model ports and the gateway', () => {
    expect(server.models.map((m) => m.id).sort()).toEqual(['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b']);
    expect(server.gatewayUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it.each(['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b'])('chats on %s\'s own port without naming the model', async (id) => {
    const reply = await clients[id].chat.completions.create({ model: '', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 12 } as never);
    expect(reply.object).toBe('chat.completion');
    expect(reply.choices[0].message.role).toBe('assistant');
    expect(typeof reply.choices[0].message.content).toBe('string');
    expect(reply.usage!.completion_tokens).toBeGreaterThan(0);
    expect(reply.usage!.completion_tokens).toBeLessThanOrEqual(12);
  });

  it('chats through the gateway by id, served name and alias', async () => {
    for (const model of ['openchat-3.5', 'openchat/openchat-3.5-0106', 'openchat']) {
      const reply = await clients.gateway.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 });
      expect(reply.model).toBe('openchat/openchat-3.5-0106');
    }
  });

  it('completes', async () => {
    const reply = await clients.gateway.completions.create({ model: 'mixtral-8x7b', prompt: 'Explain quantum computing', max_tokens: 20, temperature: 0.7 });
    expect(reply.object).toBe('text_completion');
    expect(reply.choices[0].text.length).toBeGreaterThan(0);
    expect(['stop', 'length']).toContain(reply.choices[0].finish_reason);
  });

  it('streams a chat with usage when stream_options.include_usage is set', async () => {
    for (const client of [clients['openchat-3.5'], clients.gateway]) {
      const stream = await client.chat.completions.create({
        model: 'openchat-3.5',
        messages: [{ role: 'user', content: 'Streaming test' }],
        max_tokens: 16,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        text += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      expect(chunks).toBeGreaterThan(2);
      expect(text.length).toBeGreaterThan(0);
      expect(usage?.completion_tokens).toBeGreaterThan(0);
      expect(usage?.total_tokens).toBe(usage!.prompt_tokens + usage!.completion_tokens);
    }
  });

  it('streams a completion', async () => {
    const stream = await clients['phi-3-mini'].completions.create({ model: 'phi-3-mini', prompt: 'Quick test', max_tokens: 8, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
  });

  it('lists models: all four on the gateway, one on a model port', async () => {
    const all = await clients.gateway.models.list();
    expect(all.data.map((m) => m.id).sort()).toEqual(['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b']);
    const mixtral = all.data.find((m) => m.id === 'mixtral-8x7b') as unknown as Record<string, unknown>;
    expect(mixtral).toMatchObject({ object: 'model', owned_by: 'mistralai', max_model_len: 32768 });
    const one = await clients['yi-34b'].models.list();
    expect(one.data.map((m) => m.id)).toEqual(['yi-34b']);
  });

  it('raises NotFoundError for an unknown model', async () => {
    await expect(clients.gateway.chat.completions.create({ model: 'gpt-17', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    // A model port serves only its own model.
    await expect(clients['phi-3-mini'].chat.completions.create({ model: 'mixtral-8x7b', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('raises BadRequestError for invalid input, naming the parameter', async () => {
    const error = await clients.gateway.chat.completions.create({ model: 'phi-3-mini', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('max_tokens');
  });

  it('raises BadRequestError when the prompt does not fit the context (vLLM\'s 400 relayed, stream or not)', async () => {
    const long = 'word '.repeat(3000);
    await expect(clients['phi-3-mini'].completions.create({ model: 'phi-3-mini', prompt: long, max_tokens: 100 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(clients['phi-3-mini'].completions.create({ model: 'phi-3-mini', prompt: long, max_tokens: 100, stream: true })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });
});
