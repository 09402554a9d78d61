import OpenAI from 'openai';
import { parsePrometheusText, sampleValue } from '../../src/bench/prometheus-text';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { startCitadel } from '../support/start-citadel';

/**
 * LoRA adapters as models (model.lora_modules), through the gateway and the base model's port,
 * with the official openai SDK; the simulator is started with vLLM's `--enable-lora --lora-modules`
 * from the same config. The adapter object's shape follows vLLM's ModelCard for an adapter
 * (vllm/entrypoints/openai/serving_models.py: `root` its path, `parent` its base); the engine
 * answers with the model it was asked for, so an answer naming the adapter shows that the name
 * reached the engine unchanged. Covered: listing and retrieving, chat (streamed and not),
 * completions and Responses by adapter name on the gateway and the base's port, another model's
 * port (404), the base model by alias (rewritten to the served name), an unknown adapter (the
 * gateway's 404, never a metric label), the metrics (model = the base id, adapter = the configured name).
 */
describe('LoRA adapters through the gateway and the model port', () => {
  let server: ServiceOrchestrator;
  let gateway: OpenAI;
  let mixtral: OpenAI;
  let openchat: OpenAI;

  beforeAll(async () => {
    server = await startCitadel({
      configure: (config) => {
        config.model('mixtral-8x7b')!.model.lora_modules = { 'sql-lora': '/opt/loras/sql', 'org/chat-lora': '/opt/loras/chat' };
      },
    });
    const client = (id: string) => new OpenAI({ baseURL: `${server.models.find((m) => m.id === id)!.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    gateway = new OpenAI({ baseURL: `${server.gatewayUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
    mixtral = client('mixtral-8x7b');
    openchat = client('openchat-3.5');
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('lists each adapter after the base models, with root = its path and parent = the base id; retrieve finds it', async () => {
    const listed = (await gateway.models.list()).data;
    const ids = listed.map((m) => m.id);
    expect(ids.slice(-2)).toEqual(['sql-lora', 'org/chat-lora']);
    const sql = listed.find((m) => m.id === 'sql-lora') as unknown as Record<string, unknown>;
    expect(sql).toMatchObject({ object: 'model', root: '/opt/loras/sql', parent: 'mixtral-8x7b', owned_by: 'mistralai', max_model_len: 32768 });
    expect(listed.find((m) => m.id === 'mixtral-8x7b')).toMatchObject({ parent: null });
    expect(await gateway.models.retrieve('sql-lora')).toEqual(sql);
    expect(await mixtral.models.retrieve('org/chat-lora')).toMatchObject({ id: 'org/chat-lora', parent: 'mixtral-8x7b' });
    // The base's port lists its adapters; another model's port does not know them.
    expect((await mixtral.models.list()).data.map((m) => m.id)).toEqual(['mixtral-8x7b', 'sql-lora', 'org/chat-lora']);
    await expect(openchat.models.retrieve('sql-lora')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('an adapter named on the gateway or the base port reaches the engine unchanged (chat, streamed chat, completions, responses)', async () => {
    for (const client of [gateway, mixtral]) {
      const chat = await client.chat.completions.create({ model: 'sql-lora', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4 });
      expect(chat.model).toBe('sql-lora');
      const stream = await client.chat.completions.create({ model: 'org/chat-lora', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4, stream: true });
      const models = new Set<string>();
      for await (const chunk of stream) models.add(chunk.model);
      expect([...models]).toEqual(['org/chat-lora']);
      expect((await client.completions.create({ model: 'sql-lora', prompt: 'Hi', max_tokens: 3 })).model).toBe('sql-lora');
      expect((await client.responses.create({ model: 'sql-lora', input: 'Hi', max_output_tokens: 3 })).model).toBe('sql-lora');
    }
    // The base model by alias or id is rewritten to the served name, as before.
    expect((await gateway.chat.completions.create({ model: 'mixtral', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 })).model).toBe('mistralai/Mixtral-8x7B-Instruct-v0.1');
    // Another model's port does not serve it.
    await expect(openchat.chat.completions.create({ model: 'sql-lora', messages: [{ role: 'user', content: 'Hi' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('counts adapters under model = the base id and adapter = the configured name only', async () => {
    const scrape = async () => parsePrometheusText(await (await fetch(`${server.gatewayUrl}/metrics`)).text());
    const requests = (samples: Awaited<ReturnType<typeof scrape>>) => sampleValue(samples, 'citadel_llm_adapter_requests_total', { model: 'mixtral-8x7b', adapter: 'sql-lora', endpoint: 'chat_completions', status: '200' }) ?? 0;
    const tokens = (samples: Awaited<ReturnType<typeof scrape>>, adapter: string, type: string) => sampleValue(samples, 'citadel_llm_adapter_tokens_total', { model: 'mixtral-8x7b', adapter, type }) ?? 0;
    const before = await scrape();
    const answer = await gateway.chat.completions.create({ model: 'sql-lora', messages: [{ role: 'user', content: 'Count me' }], max_tokens: 3 });
    // Streamed adapter tokens are counted too.
    const stream = await mixtral.chat.completions.create({ model: 'org/chat-lora', messages: [{ role: 'user', content: 'Count me too' }], max_tokens: 3, stream: true });
    for await (const chunk of stream) void chunk;
    await expect(gateway.chat.completions.create({ model: 'unknown-lora', messages: [{ role: 'user', content: 'Hi' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const after = await scrape();
    expect(requests(after) - requests(before)).toBe(1);
    expect(tokens(after, 'sql-lora', 'completion') - tokens(before, 'sql-lora', 'completion')).toBe(answer.usage!.completion_tokens);
    expect(tokens(after, 'org/chat-lora', 'prompt') - tokens(before, 'org/chat-lora', 'prompt')).toBeGreaterThan(0);
    const text = await (await fetch(`${server.gatewayUrl}/metrics`)).text();
    expect(text).not.toContain('unknown-lora');
    expect(text).not.toMatch(/citadel_llm_adapter_\w+\{[^}]*model="(?!mixtral-8x7b")/);
  });
});
