import 'reflect-metadata';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServicesCommand } from '../../src/cli/services-command';
import { UsageError } from '../../src/cli/usage-error';
import { ConfigValidationError } from '../../src/config/config-problem';
import { capture, parseTable, REPO_CONFIG, withConfigEnv } from './cli-helpers';

// The host's memory decides whether the loader warns; the tests decide it instead.
let hostMemoryBytes = 4 * 1024 ** 4;
jest.mock('node:os', () => {
  const actual = jest.requireActual<typeof import('node:os')>('node:os');
  return { ...actual, totalmem: () => hostMemoryBytes };
});

const runList = (...args: string[]) => withConfigEnv({}, () => capture(() => runServicesCommand(['list', '--config-dir', REPO_CONFIG, ...args])));

const EXPECTED_ROWS = [
  ['SERVICE', 'PORT', 'METRICS', 'MEMORY', 'CORES', 'CONTEXT', 'ENGINE', 'MODEL'],
  ['mixtral-8x7b', '11400', '11401', '90 GB', '8', '32768', 'simulated', 'mistralai/Mixtral-8x7B-Instruct-v0.1'],
  ['openchat-3.5', '11402', '11405', '8 GB', '4', '4096', 'simulated', 'openchat/openchat-3.5-0106'],
  ['phi-3-mini', '11403', '11404', '4 GB', '2', '2048', 'simulated', 'microsoft/Phi-3-mini-4k-instruct'],
  ['yi-34b', '11406', '11407', '80 GB', '8', '4096', 'simulated', '01-ai/Yi-34B-Chat'],
];

describe('services list', () => {
  beforeEach(() => {
    hostMemoryBytes = 4 * 1024 ** 4;
  });

  it('prints a table of the four services: port, metrics port, memory, cores, context length, engine', async () => {
    const { result, stdout, stderr } = await runList();
    expect(result).toBe(0);
    expect(stderr).toBe('');
    expect(parseTable(stdout)).toEqual(EXPECTED_ROWS);
  });

  it('lines the columns up', async () => {
    const { stdout } = await runList();
    const lines = stdout.trimEnd().split('\n');
    const header = lines[0];
    for (const column of ['PORT', 'METRICS', 'MEMORY', 'ENGINE']) {
      const at = header.indexOf(column);
      for (const line of lines.slice(1)) expect(line[at - 1]).toBe(' ');
      for (const line of lines.slice(1)) expect(line[at]).not.toBe(' ');
    }
  });

  it('--json prints parseable JSON with the same fields', async () => {
    const { result, stdout } = await runList('--json');
    expect(result).toBe(0);
    const rows = JSON.parse(stdout) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.name, r.port, r.metrics_port, r.memory_gb, r.cpu_cores, r.context_length, r.engine_mode])).toEqual([
      ['mixtral-8x7b', 11400, 11401, 90, 8, 32768, 'simulated'],
      ['openchat-3.5', 11402, 11405, 8, 4, 4096, 'simulated'],
      ['phi-3-mini', 11403, 11404, 4, 2, 2048, 'simulated'],
      ['yi-34b', 11406, 11407, 80, 8, 4096, 'simulated'],
    ]);
    expect(rows[0]).toMatchObject({ unit: 'citadel-llm@mixtral-8x7b.service', served_model: 'mistralai/Mixtral-8x7B-Instruct-v0.1' });
  });

  it('shows environment overrides', async () => {
    const { stdout } = await withConfigEnv({ YI_34B_ENGINE_MODE: 'external', YI_34B_ENGINE_URLS: 'http://10.0.0.9:8000', PHI_3_MINI_MEMORY_GB: '6' }, () =>
      capture(() => runServicesCommand(['list', '--json', '--config-dir', REPO_CONFIG])),
    );
    const rows = JSON.parse(stdout) as Array<Record<string, unknown>>;
    expect(rows.find((r) => r.name === 'yi-34b')?.engine_mode).toBe('external');
    expect(rows.find((r) => r.name === 'phi-3-mini')?.memory_gb).toBe(6);
  });

  describe('with --config-dir', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'citadel-cli-'));
      cpSync(REPO_CONFIG, join(dir, 'config'), { recursive: true });
      const phi = join(dir, 'config', 'services', 'phi-3-mini.yaml');
      writeFileSync(phi, readFileSync(phi, 'utf8').replace('  enabled: true', '  enabled: false'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('lists only the enabled services of that folder', async () => {
      const { stdout } = await withConfigEnv({}, () => capture(() => runServicesCommand(['list', '--config-dir', join(dir, 'config')])));
      expect(parseTable(stdout).map((row) => row[0])).toEqual(['SERVICE', 'mixtral-8x7b', 'openchat-3.5', 'yi-34b']);
    });
  });

  it('an invalid configuration is a ConfigValidationError naming the variable', async () => {
    const run = withConfigEnv({ MIXTRAL_8X7B_PORT: 'abc' }, () => capture(() => runServicesCommand(['list', '--config-dir', REPO_CONFIG])));
    await expect(run).rejects.toBeInstanceOf(ConfigValidationError);
    await expect(run).rejects.toThrow(/MIXTRAL_8X7B_PORT \(environment\): service\.port = "abc"/);
  });

  describe('usage errors', () => {
    it.each([
      [['list', 'extra-arg'], /takes no arguments.*extra-arg/],
      [['list', '--bogus'], /--bogus/],
      [['list', '--config-dir'], /config-dir/],
      [['lsit'], /unknown services command "lsit"/],
    ])('services %j', async (argv, message) => {
      const run = capture(() => runServicesCommand(argv));
      await expect(run).rejects.toBeInstanceOf(UsageError);
      await expect(run).rejects.toThrow(message);
    });

    it('carry the services usage', async () => {
      const error = await capture(() => runServicesCommand(['list', 'extra-arg'])).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).usage).toMatch(/Usage: citadel-llm services <command>/);
    });

    it('no subcommand prints the usage and exits 2; --help exits 0', async () => {
      const none = await capture(() => runServicesCommand([]));
      expect(none.result).toBe(2);
      expect(none.stdout).toMatch(/list \[--json\]/);
      const help = await capture(() => runServicesCommand(['--help']));
      expect(help.result).toBe(0);
      expect(help.stdout).toMatch(/Usage: citadel-llm services/);
      const listHelp = await capture(() => runServicesCommand(['list', '--help']));
      expect(listHelp.result).toBe(0);
      expect(listHelp.stdout).toMatch(/Usage: citadel-llm services/);
    });
  });

  describe('on a host with less memory than the models are allocated', () => {
    beforeEach(() => {
      hostMemoryBytes = 16 * 1024 ** 3;
    });

    it('still lists the services, without the memory warning (that is for serve and validate)', async () => {
      const { result, stdout, stderr } = await runList();
      expect(result).toBe(0);
      expect(stdout).toContain('mixtral-8x7b');
      expect(stderr).toBe('');
    });

    // Warnings go to stderr, so the JSON on stdout stays parseable.
    it('--json output is still only JSON', async () => {
      const { stdout } = await runList('--json');
      expect(() => JSON.parse(stdout) as unknown).not.toThrow();
    });
  });
});
