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

  it('fails readiness first and keeps serving for shutdown_delay_ms, then lets the stream in flight end normally, then closes the listeners', async () => {
    // Real (H100-like) speed: a 1000-token Phi-3 stream lasts a few seconds, past the delay.
    const server: ServiceOrchestrator = await startCitadel({ only: ['phi-3-mini'], simulatorArgs: [], shutdownGraceMs: 20_000, configure: (c) => (c.security.shutdown_delay_ms = 1_000) });
    const url = server.models[0].url;
    const post = (body: object) => fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'x', ...body }) });
    const stream = await post({ stream: true, max_tokens: 1000, ignore_eos: true });
    expect(stream.status).toBe(200);
    const stopped = server.stop();
    // Not ready at once; everything else is still served during the delay.
    const ready = await fetch(`${url}/health/ready`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 503, body: { status: 'not_ready', reason: 'shutting_down' } });
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    expect((await post({ max_tokens: 3 })).status).toBe(200);
    // The stream in flight ends as the engine ends it, not with the shutdown's error event.
    const events = await readSse(stream);
    expect(events[events.length - 1]).toBe('[DONE]');
    expect(events.some((e) => e.includes('"error"'))).toBe(false);
    await stopped;
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  }, 60_000);
});
