import { join } from 'node:path';
import { lifecycleTable, runLifecycle } from '../../src/bench/lifecycle-harness';
import { REPO } from '../support/start-citadel';

/** One tiny round of `bench lifecycle`: the numbers are consistent, nothing is left running. */
describe('bench lifecycle', () => {
  it('measures start, engine recovery and restart with the vLLM stand-in', async () => {
    const report = await runLifecycle({ model: 'phi-3-mini', vllm: join(REPO, 'test', 'fixtures', 'fake-vllm', 'vllm'), rounds: 1, configDir: join(REPO, 'config') });
    expect(report.rounds).toHaveLength(1);
    const [round] = report.rounds;
    for (const value of [round.startS, round.engineRecoveryS, round.restartS]) {
      expect(value).toBeGreaterThan(0);
      expect(Number.isFinite(value)).toBe(true);
    }
    expect(report.median).toEqual(round);
    const table = lifecycleTable(report);
    expect(table).toContain('| service start to first answer |');
    expect(table).toMatch(/< 30 s \| (PASS|FAIL) \|/);
  }, 120_000);

  it('marks a criterion FAIL when its time is over the target', () => {
    const table = lifecycleTable({
      model: 'phi-3-mini',
      vllm: 'vllm',
      rounds: [{ startS: 31, engineRecoveryS: 2, restartS: 3 }],
      median: { startS: 31, engineRecoveryS: 2, restartS: 3 },
      targets: { startS: 30, restartS: 15 },
    });
    expect(table).toContain('| service start to first answer | 31.00 s | < 30 s | FAIL |');
    expect(table).toContain('| service restart to first answer | 3.00 s | < 15 s | PASS |');
  });
});
