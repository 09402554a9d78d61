import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { readSse } from '../support/sse';
import { startCitadel } from '../support/start-citadel';

/** Stopping with requests in flight: they finish within the grace period or get a clear end. */
describe('graceful shutdown', () => {
  it('lets a short request finish, and ends a long stream with an error event then [DONE]', async () => {
    // Real (H100-like) speed: a 2000-token stream outlasts the 1.5 s grace period.
    const server: ServiceOrchestrator = await startCitadel({ only: ['openchat-3.5'], simulatorArgs: [], shutdownGraceMs: 1_500 });
    const url = server.models[0].url;
    const post = (body: object) => fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], ...body }) });

    const longStream = await post({ stream: true, max_tokens: 2000, ignore_eos: true });
    expect(longStream.status).toBe(200);
    const short = post({ max_tokens: 10 });
    // Give the short request time to reach the engine before the stop begins.
    await new Promise((r) => setTimeout(r, 100));
    const stopped = server.stop();

    expect((await short).status).toBe(200);
    const events = await readSse(longStream);
    expect(events[events.length - 1]).toBe('[DONE]');
    expect(JSON.parse(events[events.length - 2]).error.message).toMatch(/shutting down/);
    await stopped;

    // Nothing listens any more.
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  }, 30_000);
});
