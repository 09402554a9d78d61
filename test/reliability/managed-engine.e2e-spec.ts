import { join } from 'node:path';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { waitFor } from '../support/engine-control';
import { REPO, startCitadel } from '../support/start-citadel';

const FAKE_VLLM = join(REPO, 'test', 'fixtures', 'fake-vllm', 'vllm');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Engine mode `managed`: the server launches `vllm serve` (here a stand-in that accepts its flags). */
describe('a managed engine', () => {
  let server: ServiceOrchestrator;

  beforeAll(async () => {
    server = await startCitadel({ only: ['phi-3-mini'], env: { PHI_3_MINI_ENGINE_MODE: 'managed', PHI_3_MINI_VLLM_EXECUTABLE: FAKE_VLLM, PHI_3_MINI_EFFICIENCY_MODE: 'false' } });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  const complete = () =>
    fetch(`${server.models[0].url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'hi', max_tokens: 2 }) });

  it('is launched with the model\'s flags and serves through the model port', async () => {
    const res = await complete();
    expect(res.status).toBe(200);
    expect(((await res.json()) as { model: string }).model).toBe('microsoft/Phi-3-mini-4k-instruct');
    expect(server.models[0].engineUrls[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('is restarted when it dies, and the restart is counted', async () => {
    const service = server.models[0].service;
    const pid = service.engineProcess!.pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => service.engineProcess!.restarts() === 1, 20_000, 'the engine to be restarted');
    await waitFor(async () => (await complete()).status === 200, 20_000, 'the restarted engine to answer');
    expect(service.engineProcess!.pid).not.toBe(pid);
  }, 45_000);

  it('is stopped with the server, leaving no process behind', async () => {
    const pid = server.models[0].service.engineProcess!.pid!;
    expect(alive(pid)).toBe(true);
    await server.stop();
    expect(alive(pid)).toBe(false);
  }, 30_000);
});
