import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCitadel } from '../support/start-citadel';
import { sampleValue, scrape } from './prom-text';

/**
 * Restarts of the service itself (seed task 1.1's "service restart frequency"): each start of
 * `serve` adds one to the count in its systemd state directory, and /metrics reports it as
 * citadel_llm_service_starts_total, so a restart of the unit shows as an increase.
 */
describe('citadel_llm_service_starts_total', () => {
  jest.setTimeout(60_000);
  const state = mkdtempSync(join(tmpdir(), 'citadel-state-'));
  afterAll(() => rmSync(state, { recursive: true, force: true }));

  it('counts every start of the service in its state directory, on the model port and its metrics port', async () => {
    for (const expected of [1, 2]) {
      const server = await startCitadel({ only: ['test'], stateDirectory: state });
      try {
        const [test] = server.models;
        expect(sampleValue(await scrape(test.url), 'citadel_llm_service_starts_total', { model: 'test' })).toBe(expected);
        expect(sampleValue(await scrape(test.metricsUrl), 'citadel_llm_service_starts_total', { model: 'test' })).toBe(expected);
      } finally {
        await server.stop();
      }
    }
  });
});
