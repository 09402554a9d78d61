import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { INSTANT_PROFILE } from '../../src/simulator/profiles';
import { startSimulator } from '../../src/simulator/sim-server';
import { RunningSimulator } from '../../src/simulator/types';
import { startCitadel } from '../support/start-citadel';

/** A model served by two vLLM replicas (engine mode external) when one of them fails. */
describe('two replicas, one failing', () => {
  let a: RunningSimulator;
  let b: RunningSimulator;
  let server: ServiceOrchestrator;
  let url: string;
  const model = { id: 'phi-3-mini', servedName: 'microsoft/Phi-3-mini-4k-instruct', maxModelLen: 2048, maxNumSeqs: 32, profile: INSTANT_PROFILE };

  beforeEach(async () => {
    a = await startSimulator({ models: [model], instant: true }, { port: 0, host: '127.0.0.1' });
    b = await startSimulator({ models: [model], instant: true }, { port: 0, host: '127.0.0.1' });
    server = await startCitadel({
      only: ['phi-3-mini'],
      env: { PHI_3_MINI_ENGINE_MODE: 'external', PHI_3_MINI_ENGINE_URLS: `${a.url},${b.url}`, PHI_3_MINI_EFFICIENCY_MODE: 'false' },
    });
    url = server.models[0].url;
  }, 30_000);

  afterEach(async () => {
    await server?.stop();
    await a?.close();
    await b?.close();
  });

  const complete = () => fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'hello', max_tokens: 2 }) });

  it('spreads requests over both replicas', async () => {
    await Promise.all(Array.from({ length: 20 }, complete));
    expect(a.stats().completed).toBeGreaterThan(0);
    expect(b.stats().completed).toBeGreaterThan(0);
  });

  it('moves traffic to the live replica when one dies: no client error for non-streaming requests', async () => {
    await a.close();
    const statuses = [];
    for (let i = 0; i < 30; i++) statuses.push((await complete()).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const states = server.models[0].service.engine.upstreams();
    expect(states.find((u) => u.url === a.url)?.up).toBe(false);
    expect(states.find((u) => u.url === b.url)?.up).toBe(true);
  });

  it('retries a 503 burst from one replica on the other', async () => {
    a.setFaults({ errorRate: 1, errorStatus: 503 });
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push((await complete()).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // The failing replica's circuit opened after its failures in a row.
    expect(server.models[0].service.engine.upstreams().find((u) => u.url === a.url)?.circuit).toBe('open');
  });

  it('relays the engine\'s error when every replica fails and the retry budget is spent', async () => {
    a.setFaults({ errorRate: 1, errorStatus: 500 });
    b.setFaults({ errorRate: 1, errorStatus: 500 });
    const res = await complete();
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBeTruthy();
  });
});
