import { request } from 'node:http';
import fc from 'fast-check';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { startCitadel } from '../support/start-citadel';

/** Raw bytes to a path, with a content type: the status that came back (or 0 on a reset). */
function send(url: string, path: string, body: Buffer, contentType: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { method: 'POST', headers: { 'content-type': contentType, 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

const text = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Many kinds of bad input, generated: none may cause a 5xx or hurt the process. */
const malformed = fc.oneof(
  fc.json().map((j) => Buffer.from(j)),
  fc.anything().map((v) => text(v ?? null)),
  fc.record({ messages: fc.anything(), model: fc.oneof(fc.string(), fc.integer(), fc.constant('../../etc/passwd'), fc.constant('x\r\nSet-Cookie: a=b')) }, { requiredKeys: [] }).map(text),
  fc.record({ messages: fc.array(fc.record({ role: fc.string(), content: fc.anything() }, { requiredKeys: [] })), max_tokens: fc.oneof(fc.integer(), fc.double(), fc.string()), temperature: fc.anything(), n: fc.anything(), stop: fc.anything(), stream: fc.anything() }, { requiredKeys: [] }).map(text),
  fc.record({ prompt: fc.anything(), max_tokens: fc.integer({ min: -5, max: 100_000 }), logprobs: fc.anything(), echo: fc.anything() }, { requiredKeys: [] }).map(text),
  fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
  fc.integer({ min: 1, max: 5_000 }).map((depth) => Buffer.from(`{"messages":${'['.repeat(depth)}${']'.repeat(depth)}}`)),
  fc.string({ unit: 'grapheme', maxLength: 20_000 }).map((s) => text({ messages: [{ role: 'user', content: s }], max_tokens: 2 })),
  fc.constant(Buffer.from([0x7b, 0x22, 0x6d, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0x22, 0x7d])),
);

describe('1,000 malformed requests', () => {
  let server: ServiceOrchestrator;

  beforeAll(async () => {
    server = await startCitadel({ only: ['phi-3-mini'], env: { PHI_3_MINI_EFFICIENCY_MODE: 'false' } });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('get 4xx (or a valid answer), never a 5xx, and the server lives on', async () => {
    const url = server.models[0].url;
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(malformed, fc.constantFrom('/v1/chat/completions', '/v1/completions'), fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain'), async (body, path, type) => {
        const status = await send(url, path, body, type);
        seen.set(status, (seen.get(status) ?? 0) + 1);
        return status >= 200 && status < 500;
      }),
      { numRuns: 1000 },
    );
    expect([...seen.keys()].some((s) => s === 400)).toBe(true);
    const alive = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'still here', max_tokens: 2 }) });
    expect(alive.status).toBe(200);
    expect(server.models[0].service.engine.activity().inFlight).toBe(0);
  }, 120_000);
});
