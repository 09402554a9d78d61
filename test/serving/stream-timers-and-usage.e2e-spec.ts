import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { engineMetric } from '../support/engine-control';
import { readSse } from '../support/sse';
import { startCitadel } from '../support/start-citadel';

const stream = (url: string, body: object) =>
  fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], stream: true, ...body }) });

/**
 * The first-token timer, on both sides of its boundary, with a slow simulator (Yi at 2% speed:
 * headers at once, its first token after ~3.5 s): vLLM sends headers before the first token, so
 * the wait for the first event is bounded by `first_token_ms` from the request, never by the idle
 * timer (`idle_ms`, between events once the first came) nor by the pool's body timeout.
 */
describe('a stream waiting for its first token', () => {
  it('is not cut by the idle timer: first token after ~3.5 s with idle_ms 2000 and first_token_ms 60000', async () => {
    const server = await startCitadel({ only: ['yi-34b'], simulatorArgs: ['--speed', '0.02'], env: { YI_34B_IDLE_TIMEOUT_MS: '2000', YI_34B_FIRST_TOKEN_TIMEOUT_MS: '60000' } });
    try {
      const events = await readSse(await stream(server.models[0].url, { max_tokens: 1 }));
      expect(events[events.length - 1]).toBe('[DONE]');
      expect(events.some((e) => e.includes('"error"'))).toBe(false);
      expect(JSON.parse(events[0]).choices).toBeDefined();
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('is ended by the first-token timer: first_token_ms 1000 against a ~3.5 s first token gives a 504', async () => {
    const server = await startCitadel({ only: ['yi-34b'], simulatorArgs: ['--speed', '0.02'], env: { YI_34B_IDLE_TIMEOUT_MS: '60000', YI_34B_FIRST_TOKEN_TIMEOUT_MS: '1000' } });
    try {
      const res = await stream(server.models[0].url, { max_tokens: 1 });
      if (res.status === 200) {
        const events = await readSse(res);
        expect(JSON.parse(events[events.length - 2]).error).toMatchObject({ code: 504, type: 'timeout_error' });
        expect(events[events.length - 1]).toBe('[DONE]');
      } else {
        // An engine that withholds its headers until the first token: the same timer, before headers.
        expect(res.status).toBe(504);
      }
    } finally {
      await server.stop();
    }
  }, 60_000);
});

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
