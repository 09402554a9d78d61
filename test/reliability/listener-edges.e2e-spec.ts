import { connect, Socket } from 'node:net';
import { ConnectionBudget } from '../../src/api/connection-budget';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { rawGet, rawRequest } from '../support/raw-http';
import { readSse } from '../support/sse';
import { startCitadel } from '../support/start-citadel';

const openSocket = (url: string): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.on('error', reject);
  });

const closed = (socket: Socket): Promise<void> => new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

describe('protocol edges: every answer in OpenAI shape', () => {
  let server: ServiceOrchestrator;

  beforeAll(async () => {
    server = await startCitadel({ only: ['phi-3-mini'], env: { CITADEL_KEEP_ALIVE_TIMEOUT_MS: '2000' } });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  /** Cases: two Host headers (RFC 9112 §3.2), a malformed request line, oversized headers (431). */
  it.each([
    { name: 'two Host headers', request: 'GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', status: 400 },
    { name: 'a malformed request line', request: 'GARBAGE\r\n\r\n', status: 400 },
    { name: 'headers over the size limit', request: `GET /health HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`, status: 431 },
    { name: 'a bad Content-Length', request: 'POST /v1/completions HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n', status: 400 },
  ])('$name → $status with an OpenAI error body', async ({ request, status }) => {
    const answer = await rawRequest(server.models[0].url, request);
    expect(answer.status).toBe(status);
    expect(answer.head).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(answer.body).error).toEqual(expect.objectContaining({ message: expect.any(String), type: 'invalid_request_error' }));
  });

  it('says Keep-Alive: timeout=<configured> and closes an idle connection after it, not before', async () => {
    const socket = await openSocket(server.models[0].url);
    let head = '';
    socket.on('data', (chunk) => (head += chunk.toString()));
    socket.write('GET /health/live HTTP/1.1\r\nHost: a\r\n\r\n');
    const gone = closed(socket);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(head).toMatch(/keep-alive: timeout=2/i);
    expect(socket.destroyed).toBe(false);
    await gone;
  });
});

describe('the client-connection budget (CITADEL_MAX_CLIENT_CONNECTIONS)', () => {
  let server: ServiceOrchestrator;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = await startCitadel({ only: ['phi-3-mini'], env: { CITADEL_MAX_CLIENT_CONNECTIONS: '6' } });
  }, 30_000);

  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await server?.stop();
  });

  it('derives the cap from the descriptor limit, keeping a quarter (at least 64) for engines', () => {
    expect(ConnectionBudget.fromLimits(0, 1024).limit).toBe(768);
    expect(ConnectionBudget.fromLimits(0, 200).limit).toBe(136);
    expect(ConnectionBudget.fromLimits(50, 1024).limit).toBe(50);
  });

  it('answers 503 too_many_connections past the cap, shared by all listeners, and serves again once idle clients leave', async () => {
    const [phi] = server.models;
    // Idle connections on both listeners of the model count against one budget.
    for (let i = 0; i < 3; i++) sockets.push(await openSocket(phi.url));
    for (let i = 0; i < 3; i++) sockets.push(await openSocket(phi.metricsUrl));
    const refused = await rawGet(phi.url, '/health/live');
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body).error.code).toBe('too_many_connections');
    expect(server.connections.refused).toBeGreaterThan(0);
    sockets.splice(0).forEach((s) => s.destroy());
    await new Promise((r) => setTimeout(r, 200));
    expect((await rawGet(phi.url, '/health/live')).status).toBe(200);
    // The engine was never blamed.
    expect(phi.service.engine.activity().inFlight).toBe(0);
    expect((await rawGet(phi.url, '/health')).status).toBe(200);
  });
});

describe('stopping: every listener at once, one grace period', () => {
  it('the gateway and a model port stop accepting and say shutdown together; their streams share one grace period', async () => {
    const grace = 2_000;
    const server = await startCitadel({ simulatorArgs: [], shutdownGraceMs: grace });
    const openchat = server.models.find((m) => m.id === 'openchat-3.5')!;
    const stream = (url: string) =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'openchat-3.5', messages: [{ role: 'user', content: 'x' }], stream: true, max_tokens: 4000, ignore_eos: true }),
      });
    const [viaGateway, direct] = await Promise.all([stream(server.gatewayUrl!), stream(openchat.url)]);
    expect([viaGateway.status, direct.status]).toEqual([200, 200]);
    const started = Date.now();
    const stopping = server.stop();
    await new Promise((r) => setTimeout(r, 300));
    // Neither listener takes new work once the stop began (refused, or 503 shutdown).
    for (const url of [server.gatewayUrl!, openchat.url]) {
      const answer = await rawGet(url, '/health').catch(() => ({ status: 0, body: '' }));
      expect([0, 503]).toContain(answer.status);
      if (answer.status === 503) expect(JSON.parse(answer.body).error.code).toBe('shutdown');
    }
    const ends = await Promise.all([readSse(viaGateway), readSse(direct)]);
    for (const events of ends) expect(events[events.length - 1]).toBe('[DONE]');
    await stopping;
    // One grace period for the whole process, not one per listener in turn.
    expect(Date.now() - started).toBeLessThan(2 * grace);
  }, 60_000);
});
