import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CitadelConfig } from '../../src/config/citadel-config';
import { loadCitadelConfig } from '../../src/config/config-loader';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { INSTANT_PROFILE } from '../../src/simulator/profiles';
import { startSimulator } from '../../src/simulator/sim-server';
import { RunningSimulator } from '../../src/simulator/types';
import { REPO } from '../support/start-citadel';

/**
 * The gateway alone (ServiceOrchestrator.startGatewayAlone, what `citadel-llm gateway` runs) in
 * this process, over upstreams that speak a model service's HTTP surface (simulated vLLM servers
 * here; gateway-process.e2e-spec.ts runs real model services): least-in-flight across a model's
 * URLs, and a SIGHUP reload that moves a model to other URLs without a restart, while a change of
 * the key it sends them is reported as needing one.
 */
describe('citadel-llm gateway in process: several URLs per model, and reloads', () => {
  const PHI = { id: 'phi-3-mini', servedName: 'microsoft/Phi-3-mini-4k-instruct', maxModelLen: 2048, maxNumSeqs: 32, profile: INSTANT_PROFILE };
  const sims: RunningSimulator[] = [];
  let gateway: ServiceOrchestrator | undefined;
  const cwd = mkdtempSync(join(tmpdir(), 'citadel-gateway-alone-'));

  function config(urls: string[], env: Record<string, string> = {}): CitadelConfig {
    const c = loadCitadelConfig({ cwd, configDir: join(REPO, 'config'), env: { CITADEL_GATEWAY_PORT: '0', ...env }, only: ['phi-3-mini'], hostMemoryBytes: 2 ** 50 });
    c.gateway.services['phi-3-mini'] = urls;
    return c;
  }
  const complete = () =>
    fetch(`${gateway!.gatewayUrl}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'phi-3-mini', prompt: 'hello', max_tokens: 2 }) });

  beforeEach(async () => {
    for (let i = 0; i < 3; i++) sims.push(await startSimulator({ models: [PHI], instant: true }, { port: 0, host: '127.0.0.1' }));
  });

  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
    await Promise.all(sims.splice(0).map((s) => s.close()));
  });

  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('spreads a model\'s requests over its URLs, and a reload moves it to others with no restart', async () => {
    const [a, b, c] = sims;
    gateway = new ServiceOrchestrator(config([a.url, b.url]), { host: '127.0.0.1', logLevels: ['error'] });
    await gateway.startGatewayAlone();
    await Promise.all(Array.from({ length: 20 }, async () => expect((await complete()).status).toBe(200)));
    expect(a.stats().completed).toBeGreaterThan(0);
    expect(b.stats().completed).toBeGreaterThan(0);

    const { applied, needsRestart } = gateway.reload(config([c.url]));
    expect(applied).toContain('phi-3-mini');
    expect(needsRestart).toEqual([]);
    const before = { a: a.stats().completed, b: b.stats().completed };
    for (let i = 0; i < 5; i++) expect((await complete()).status).toBe(200);
    expect(c.stats().completed).toBe(5);
    expect({ a: a.stats().completed, b: b.stats().completed }).toEqual(before);

    expect(gateway.reload(config([c.url], { CITADEL_MODEL_SERVICE_KEY: 'another' })).needsRestart).toEqual([expect.stringMatching(/CITADEL_MODEL_SERVICE_KEY/)]);
  });
});
