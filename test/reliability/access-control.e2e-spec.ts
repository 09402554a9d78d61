import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { pathSpellings } from '../support/path-spellings';
import { rawGet, rawPost } from '../support/raw-http';
import { startCitadel } from '../support/start-citadel';

const KEY = 'sk-citadel-access-0123456789';
const CHAT = JSON.stringify({ model: 'phi-3-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });

/**
 * The access decision is made on the route the router matched, never on the raw target, so no
 * spelling of a protected path reaches it without a key. Covered, on every listener (the gateway,
 * each model port, each dedicated metrics port, Phi-3's /efficiency): percent-encoding of each
 * character and of all, absolute-form targets, dot segments (plain and encoded), duplicate,
 * trailing and encoded slashes, query strings, matrix parameters, fragments, and case.
 */
describe('access control on the matched route (CITADEL_API_KEYS, CITADEL_PROTECT_METRICS)', () => {
  let server: ServiceOrchestrator;
  let listeners: [string, string][];

  beforeAll(async () => {
    server = await startCitadel({ env: { CITADEL_API_KEYS: `k0,${KEY}`, CITADEL_PROTECT_METRICS: 'true' } });
    listeners = [['gateway', server.gatewayUrl!], ...server.models.map((m): [string, string] => [m.id, m.url])];
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  /** Every spelling of `path`, without a key: none may be answered with anything but 400 or 401. */
  async function refusedEverywhere(path: string, send: (url: string, target: string) => Promise<{ status: number }>, urls: [string, string][]) {
    const leaks: string[] = [];
    for (const [name, url] of urls) {
      for (const target of pathSpellings(path)) {
        const { status } = await send(url, target);
        if (status !== 401 && status !== 400) leaks.push(`${name} ${target} → ${status}`);
      }
    }
    expect(leaks).toEqual([]);
  }

  it('GET /v1/models: every spelling needs a key on the gateway and every model port', async () => {
    await refusedEverywhere('/v1/models', (url, target) => rawGet(url, target), listeners);
    for (const [, url] of listeners) expect((await rawGet(url, '/v1/models', { Authorization: `Bearer ${KEY}` })).status).toBe(200);
  });

  it('POST /v1/chat/completions: every spelling needs a key, absolute form included', async () => {
    const phi = server.models.find((m) => m.id === 'phi-3-mini')!;
    await refusedEverywhere('/v1/chat/completions', (url, target) => rawPost(url, target, CHAT), [['gateway', server.gatewayUrl!], ['phi-3-mini', phi.url]]);
    expect((await rawPost(server.gatewayUrl!, 'http://x/v1/chat/completions', CHAT, { Authorization: `Bearer ${KEY}` })).status).toBe(200);
  });

  it('protected figures: /metrics, /metrics/streaming, /metrics/efficiency and /efficiency need a key in every spelling', async () => {
    const phi = server.models.find((m) => m.id === 'phi-3-mini')!;
    for (const path of ['/metrics', '/metrics/streaming']) await refusedEverywhere(path, (url, target) => rawGet(url, target), listeners);
    for (const path of ['/efficiency', '/metrics/efficiency']) await refusedEverywhere(path, (url, target) => rawGet(url, target), [['phi-3-mini', phi.url]]);
    expect((await rawGet(phi.url, '/efficiency', { Authorization: `Bearer ${KEY}` })).status).toBe(200);
  });

  it('the dedicated metrics ports need a key for any target when metrics are protected', async () => {
    const ports = server.models.map((m): [string, string] => [`${m.id} metrics`, m.metricsUrl]);
    await refusedEverywhere('/metrics', (url, target) => rawGet(url, target), ports);
    for (const [, url] of ports) {
      expect((await rawGet(url, '/anything')).status).toBe(401);
      const ok = await rawGet(url, '/metrics', { Authorization: `Bearer ${KEY}` });
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('citadel_llm_');
    }
  });

  it('an unknown path needs a key too (deny by default), then gets 404', async () => {
    expect((await rawGet(server.gatewayUrl!, '/v2/secret')).status).toBe(401);
    const known = await rawGet(server.gatewayUrl!, '/v2/secret', { Authorization: `Bearer ${KEY}` });
    expect(known.status).toBe(404);
    expect(JSON.parse(known.body).error).toMatchObject({ code: 'not_found' });
  });

  it('health stays open, however its path is spelled: the router, not the raw target, decides', async () => {
    for (const [, url] of listeners) {
      expect((await rawGet(url, '/health/live')).status).toBe(200);
      expect((await rawGet(url, '/heal%74h/live')).status).toBe(200);
      expect((await rawGet(url, 'http://x/health/live?probe=1')).status).toBe(200);
    }
  });
});

describe('access control with open metrics (keys set, CITADEL_PROTECT_METRICS unset)', () => {
  let server: ServiceOrchestrator;

  beforeAll(async () => {
    server = await startCitadel({ only: ['phi-3-mini'], env: { CITADEL_API_KEYS: KEY } });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('figures are open on every listener, inference still needs a key', async () => {
    const [phi] = server.models;
    expect((await rawGet(phi.url, '/metrics')).status).toBe(200);
    expect((await rawGet(phi.url, '/%6detrics')).status).toBe(200);
    expect((await rawGet(phi.url, '/efficiency')).status).toBe(200);
    expect((await rawGet(phi.metricsUrl, '/metrics')).status).toBe(200);
    expect((await rawGet(phi.url, '/v%31/models')).status).toBe(401);
  });
});
