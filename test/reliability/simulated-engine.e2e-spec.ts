import { Logger } from '@nestjs/common';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { waitFor } from '../support/engine-control';
import { startCitadel } from '../support/start-citadel';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Engine mode `simulated` (what `npm start` runs): the simulator child is supervised as a managed
 * vLLM is. Covered: killed with SIGKILL, it is restarted on the same URL, the restart is logged and
 * counted (`citadel_llm_service_restarts_total`), completions and streams succeed again, and the
 * restarted child is stopped with the server.
 */
describe('a simulated engine that dies', () => {
  let server: ServiceOrchestrator;
  const warnings: string[] = [];

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
    server = await startCitadel({ only: ['phi-3-mini'], env: { PHI_3_MINI_EFFICIENCY_MODE: 'false' } });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    jest.restoreAllMocks();
  });

  const post = (body: object) =>
    fetch(`${server.models[0].url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'hi', max_tokens: 2, ...body }) });

  it('is restarted after SIGKILL, and requests succeed again', async () => {
    const [phi] = server.models;
    const engineUrl = phi.engineUrls[0];
    expect((await post({})).status).toBe(200);
    const pid = phi.service.engineProcess!.pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => phi.service.engineProcess!.restarts() === 1, 20_000, 'the simulator to be restarted');
    await waitFor(async () => (await post({})).status === 200, 20_000, 'the restarted simulator to answer');
    const stream = await (await post({ stream: true })).text();
    expect(stream).toMatch(/data: \[DONE\]\n\n$/);
    expect(stream).not.toMatch(/"error"/);
    expect(phi.service.engineProcess!.pid).not.toBe(pid);
    expect(alive(pid)).toBe(false);
    // The same URL: the restarted child binds the port the first one had.
    expect(phi.engineUrls[0]).toBe(engineUrl);
    expect(warnings.some((w) => /\[sim:phi-3-mini\] exited unexpectedly \(signal SIGKILL\)/.test(w))).toBe(true);
    expect(warnings.some((w) => /\[sim:phi-3-mini\] restart 1 in \d+ ms/.test(w))).toBe(true);
    const metrics = await (await fetch(`${phi.url}/metrics`)).text();
    expect(metrics).toMatch(/^citadel_llm_service_restarts_total\{model="phi-3-mini"\} 1$/m);
  }, 60_000);

  it('is stopped with the server, leaving no process behind', async () => {
    const pid = server.models[0].service.engineProcess!.pid!;
    expect(alive(pid)).toBe(true);
    await server.stop();
    expect(alive(pid)).toBe(false);
  }, 30_000);
});
