import OpenAI from 'openai';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { startCitadel } from '../support/start-citadel';

/** OpenChat falls back to Phi-3-Mini when its own engine is down. */
describe('fallback models', () => {
  let server: ServiceOrchestrator;

  beforeAll(async () => {
    server = await startCitadel({
      only: ['openchat-3.5', 'phi-3-mini'],
      env: {
        OPENCHAT_3_5_ENGINE_MODE: 'external',
        OPENCHAT_3_5_ENGINE_URLS: 'http://127.0.0.1:9',
        OPENCHAT_3_5_FALLBACKS: 'phi-3-mini',
        PHI_3_MINI_EFFICIENCY_MODE: 'false',
      },
    });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  const openchat = () => server.models.find((m) => m.id === 'openchat-3.5')!;

  it('answers from the fallback and says which model answered', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${openchat().url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-citadel-model')).toBe('phi-3-mini');
      expect(((await res.json()) as { model: string }).model).toBe('microsoft/Phi-3-mini-4k-instruct');
    }
  });

  it('streams from the fallback too', async () => {
    const client = new OpenAI({ baseURL: `${openchat().url}/v1`, apiKey: 'x', maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: 'openchat-3.5', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, stream: true }).withResponse();
    expect(response.headers.get('x-citadel-model')).toBe('phi-3-mini');
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(0);
  });

  it('an answer from the model itself names it', async () => {
    const phi = server.models.find((m) => m.id === 'phi-3-mini')!;
    const res = await fetch(`${phi.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'x', max_tokens: 2 }) });
    expect(res.headers.get('x-citadel-model')).toBe('phi-3-mini');
  });
});
