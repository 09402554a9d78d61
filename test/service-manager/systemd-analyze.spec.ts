import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceManager } from '../../src/services/core/service-manager/service-manager';
import { GATEWAY_UNIT_NAME, TARGET_NAME, unitName } from '../../src/services/core/service-manager/unit-renderer';
import { hasSystemdAnalyze, loadConfig, RecordingRunner, removeTempDirs, REPO, SEED_TEMPLATE, tempDir } from './helpers';

// `systemd-analyze verify` exits 0 while it ignores invalid directives, so any output at all fails.
const available = hasSystemdAnalyze();
if (!available) {
  console.warn('systemd-analyze is not installed: the unit checks against systemd are skipped (Debian package "systemd")');
}
const maybe = available ? describe : describe.skip;

afterAll(removeTempDirs);

const MODELS = ['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b'];

/** Runs systemd-analyze with the rendered units first on the unit path, the host's after them. */
function analyze(unitDir: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync('systemd-analyze', args, {
    encoding: 'utf8',
    env: { ...process.env, SYSTEMD_UNIT_PATH: `${unitDir}:`, SYSTEMD_LOG_COLOR: '0', SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0' },
    timeout: 60_000,
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

function exposure(unitDir: string, unit: string): number {
  const { output } = analyze(unitDir, ['security', '--offline=yes', '--no-pager', unit]);
  const match = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(output);
  if (!match) throw new Error(`no exposure score in:\n${output}`);
  return Number(match[1]);
}

/** Renders every unit into a temporary root, run by this project and its own Node.js (which exists). */
async function renderedRoot(): Promise<{ root: string; unitDir: string }> {
  const root = tempDir('citadel-units-');
  const manager = new ServiceManager(loadConfig(), { runner: new RecordingRunner(), render: { app: REPO } });
  await manager.render('all', root);
  return { root, unitDir: join(root, 'etc', 'systemd', 'system') };
}

/** The seed's template as written, instantiated the same way. */
function seedUnitDir(): string {
  const dir = join(tempDir('citadel-seed-'), 'system');
  mkdirSync(dir);
  copyFileSync(SEED_TEMPLATE, join(dir, 'citadel-llm@.service'));
  return dir;
}

maybe('systemd-analyze on the rendered units', () => {
  jest.setTimeout(120_000);

  it('verify: the template, every instance with its drop-ins, and the target say nothing', async () => {
    const { unitDir } = await renderedRoot();
    const { status, output } = analyze(unitDir, ['verify', TARGET_NAME, ...MODELS.map(unitName)]);
    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it('verify: the gateway\'s unit says nothing either', async () => {
    const { unitDir } = await renderedRoot();
    const { status, output } = analyze(unitDir, ['verify', GATEWAY_UNIT_NAME]);
    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it('verify speaks up about the seed template (so the check above can fail)', () => {
    const { output } = analyze(seedUnitDir(), ['verify', 'citadel-llm@test.service']);
    expect(output).toMatch(/Invalid memory limit '%i_MEMORY_GB'/);
    expect(output).toMatch(/Invalid CPU quota '%i_CPU_CORES \* 100%'/);
  });

  it('verify reads the drop-ins: a bad value in one is reported', async () => {
    const { unitDir } = await renderedRoot();
    writeFileSync(join(unitDir, 'citadel-llm@phi-3-mini.service.d', '10-resources.conf'), '[Service]\nMemoryMax=4 gigabytes\n');
    const { output } = analyze(unitDir, ['verify', unitName('phi-3-mini')]);
    expect(output).toMatch(/10-resources\.conf:2: Invalid memory limit/);
  });

  it('verify notices a missing ExecStart binary', async () => {
    const dir = tempDir('citadel-nobin-');
    const manager = new ServiceManager(loadConfig(), { runner: new RecordingRunner(), render: { app: join(dir, 'missing') } });
    await manager.render('mixtral-8x7b', dir);
    const { output } = analyze(join(dir, 'etc', 'systemd', 'system'), ['verify', unitName('mixtral-8x7b')]);
    expect(output).toMatch(/is not executable/);
  });

  it('security: the rendered unit is far less exposed than the seed template', async () => {
    const { unitDir } = await renderedRoot();
    const seed = exposure(seedUnitDir(), 'citadel-llm@test.service');
    const ours = Object.fromEntries(MODELS.map((m) => [m, exposure(unitDir, unitName(m))]));
    const gateway = exposure(unitDir, GATEWAY_UNIT_NAME);
    console.log(`systemd-analyze security --offline=yes exposure: seed template ${seed}, rendered units ${JSON.stringify(ours)}, gateway ${gateway}`);
    for (const score of Object.values(ours)) {
      expect(score).toBeLessThan(seed);
      expect(score).toBeLessThan(seed / 2);
    }
    // The same hardening and no devices: no more exposed than a model's unit.
    expect(gateway).toBeLessThanOrEqual(Math.min(...Object.values(ours)));
  });
});
