import 'reflect-metadata';
import { runCli } from '../../src/cli/cli';
import { capture, REPO_CONFIG, withConfigEnv } from './cli-helpers';

// The `sim` command is tested with the simulator; here it is a stand-in so that the dispatcher
// can be run in this process without it.
jest.mock('../../src/cli/sim-command', () => ({
  SIM_CLI_USAGE: 'Usage: citadel-llm sim [options]',
  runSimCli: jest.fn((argv: string[]) => {
    if (argv.includes('--help')) process.stdout.write('Usage: citadel-llm sim [options]\n');
    return Promise.resolve(0);
  }),
}));

const cli = (argv: string[], env: Record<string, string> = {}) => withConfigEnv(env, () => capture(() => runCli(argv)));

describe('citadel-llm (in-process dispatcher)', () => {
  it('--help exits 0 and lists serve, services, sim and bench', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const { result, stdout } = await cli([flag]);
      expect(result).toBe(0);
      for (const command of ['serve', 'services', 'sim', 'bench']) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
  });

  it('an unknown command exits 2 with the usage on stderr', async () => {
    const { result, stdout, stderr } = await cli(['srve']);
    expect(result).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/unknown command "srve"/);
    expect(stderr).toMatch(/Usage: citadel-llm <command>/);
  });

  it('no command exits 2', async () => {
    const { result, stderr } = await cli([]);
    expect(result).toBe(2);
    expect(stderr).toMatch(/a command is required/);
  });

  it('serve --bogus exits 2 with the serve usage on stderr', async () => {
    const { result, stderr } = await cli(['serve', '--bogus']);
    expect(result).toBe(2);
    expect(stderr).toMatch(/--bogus/);
    expect(stderr).toMatch(/Usage: citadel-llm serve/);
  });

  it('serve with an invalid configuration exits 2, one line per problem: variable, key, value, rule', async () => {
    const { result, stderr } = await cli(['serve', '--config-dir', REPO_CONFIG], { MIXTRAL_8X7B_PORT: 'abc', PHI_3_MINI_GPU_MEMORY_UTILIZATION: '1.5' });
    expect(result).toBe(2);
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/invalid configuration \(2 problems\)/);
    expect(lines.slice(1)).toEqual([
      '  MIXTRAL_8X7B_PORT (environment): service.port = "abc": must be an integer port from 1 to 65535 (0 only in tests: any free port)',
      '  PHI_3_MINI_GPU_MEMORY_UTILIZATION (environment): model.gpu_memory_utilization = 1.5: must be a number in (0, 1]',
    ]);
  });

  it('serve with an unknown model exits 2 naming the known ones', async () => {
    const { result, stderr } = await cli(['serve', 'gpt-5', '--config-dir', REPO_CONFIG]);
    expect(result).toBe(2);
    expect(stderr).toMatch(/command line: model = "gpt-5": must be one of mixtral-8x7b, openchat-3.5, phi-3-mini, yi-34b/);
  });

  // `sim --help` needs the real simulator: see cli-dist.e2e-spec.ts.
  it.each([['serve'], ['services'], ['bench']])('%s --help exits 0', async (command) => {
    const { result, stdout } = await cli([command, '--help']);
    expect(result).toBe(0);
    expect(stdout).toMatch(new RegExp(`Usage: citadel-llm ${command}`));
  });

  it('services list extra-arg and services list --bogus exit 2', async () => {
    for (const argv of [['services', 'list', 'extra-arg'], ['services', 'list', '--bogus']]) {
      const { result, stdout, stderr } = await cli(argv);
      expect(result).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/Usage: citadel-llm services/);
    }
  });

  it('services list exits 0', async () => {
    const { result, stdout } = await cli(['services', 'list', '--config-dir', REPO_CONFIG]);
    expect(result).toBe(0);
    expect(stdout).toMatch(/^phi-3-mini +11403 +11404 /m);
  });
});
