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
 * here and in README: while four clients send them in a loop, 90% of concurrent GET /health/live
 * probes are answered within 300 ms and none takes 1.5 s (with the body parsed before the limits,
 * the loop was busy ~0.9 s per nested body and probes took 1–1.7 s).
 */
describe('hostile bodies leave other requests alone', () => {
  let server: ServiceOrchestrator;

  beforeAll(async () => {
    server = await startCitadel({ only: ['phi-3-mini'] });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('concurrent health probes stay fast (p90 < 300 ms, none 1.5 s) while four clients send 4 MB hostile bodies', async () => {
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
    // The probe shares this process with the test's own clients (their 4 MB writes), so a single
    // probe may meet a GC pause or a write: the bound is on the 90th percentile, plus a ceiling.
    const sorted = [...latencies].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length * 0.9)]).toBeLessThan(300);
    expect(sorted[sorted.length - 1]).toBeLessThan(1_500);
    // The nested and the numerous bodies are refused with 400; the long string is a request the engine judges.
    expect(statuses.filter((s) => s === 400).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 400 || s === 200)).toBe(true);
  }, 120_000);
});
