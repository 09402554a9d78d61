import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { engineMetric } from '../support/engine-control';
import { readSse } from '../support/sse';
import { startCitadel } from '../support/start-citadel';

const stream = (url: string, body: object) =>
  fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], stream: true, ...body }) });

/**
 * Usage for every stream: the engine is always asked for it, so the gateway's token counter rises
 * by exactly what the engine generated, while a client that did not ask sees no usage chunk.
 */
describe('usage counted for every stream', () => {
  let server: ServiceOrchestrator;

  beforeAll(async () => {
    server = await startCitadel({ only: ['phi-3-mini'] });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('counts the completion tokens of streams without include_usage, and shows them no usage chunk', async () => {
    const [phi] = server.models;
    const engine = phi.engineUrls[0];
    const tokens = async () => {
      const text = await (await fetch(`${phi.url}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith('citadel_llm_tokens_total{') && l.includes('type="completion"'))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    };
    const [ourBefore, engineBefore] = [await tokens(), await engineMetric(engine, 'vllm:generation_tokens_total')];
    for (let i = 0; i < 5; i++) {
      const events = await readSse(await stream(phi.url, { max_tokens: 5 + i }));
      expect(events[events.length - 1]).toBe('[DONE]');
      expect(events.some((e) => e.includes('"usage":{'))).toBe(false);
    }
    const [ourAfter, engineAfter] = [await tokens(), await engineMetric(engine, 'vllm:generation_tokens_total')];
    expect(engineAfter - engineBefore).toBeGreaterThan(0);
    expect(ourAfter - ourBefore).toBe(engineAfter - engineBefore);
  });

  it('still relays the usage chunk to a client that asked for it', async () => {
    const events = await readSse(await stream(server.models[0].url, { max_tokens: 3, stream_options: { include_usage: true } }));
    expect(JSON.parse(events[events.length - 2]).usage.completion_tokens).toBeGreaterThan(0);
  });
});
