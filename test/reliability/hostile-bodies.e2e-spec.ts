import { request } from 'node:http';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { startCitadel } from '../support/start-citadel';

/** Posts `body` and resolves the status; the client may be cut early, which is fine here. */
function post(url: string, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/**
 * A stream of hostile bodies must not stall the event loop every listener shares. Hostile kinds,
 * each just under the 4 MiB body limit: 2,000,000 nested brackets (refused by depth), 1,000,000
 * values (refused by count), and one 4 MB string (within the limits, parsed once). Bound stated
 * here and in README: while four clients send them in a loop, a concurrent GET /health/live is
 * answered within 500 ms every time (it took 1–1.7 s when the body was parsed before the limits).
 */
describe('hostile bodies leave other requests alone', () => {
  let server: ServiceOrchestrator;

  beforeAll(async () => {
    server = await startCitadel({ only: ['phi-3-mini'] });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('a concurrent health probe stays under 500 ms while four clients send 4 MB hostile bodies', async () => {
    const url = server.models[0].url;
    const bodies = [
      Buffer.from('['.repeat(2_000_000) + ']'.repeat(2_000_000)),
      Buffer.from(`[${'1,'.repeat(1_000_000)}1]`),
      Buffer.from(JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(4_000_000) }], max_tokens: 1 })),
    ];
    let sending = true;
    const statuses: number[] = [];
    const clients = Array.from({ length: 4 }, async (_, i) => {
      for (let n = 0; sending && n < 15; n++) statuses.push(await post(url, bodies[(i + n) % bodies.length]));
    });
    const latencies: number[] = [];
    const probe = (async () => {
      for (let n = 0; n < 40; n++) {
        const started = performance.now();
        const res = await fetch(`${url}/health/live`);
        await res.text();
        latencies.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await probe;
    sending = false;
    await Promise.all(clients);
    expect(Math.max(...latencies)).toBeLessThan(500);
    // The nested and the numerous bodies are refused with 400; the long string is a request the engine judges.
    expect(statuses.filter((s) => s === 400).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 400 || s === 200)).toBe(true);
  }, 120_000);
});
