import 'reflect-metadata';
import { runCli } from '../../src/cli/cli';
import { parseCertifyArgs, parseFloorsArgs, parseLoadArgs, parseOverheadArgs } from '../../src/cli/bench-command';
import { capture, withConfigEnv } from '../cli/cli-helpers';

const cli = (argv: string[]) => withConfigEnv({}, () => capture(() => runCli(argv)));

describe('citadel-llm bench (command line)', () => {
  it('--help on the command and on each harness exits 0', async () => {
    const top = await cli(['bench', '--help']);
    expect(top.result).toBe(0);
    for (const harness of ['certify', 'load', 'overhead', 'floors']) {
      expect(top.stdout).toMatch(new RegExp(`^  ${harness}\\b`, 'm'));
      const { result, stdout } = await cli(['bench', harness, '--help']);
      expect(result).toBe(0);
      expect(stdout).toMatch(new RegExp(`Usage: citadel-llm bench ${harness}`));
    }
  });

  it.each([
    [['bench', 'nope'], /unknown harness "nope"/],
    [['bench', 'certify'], /--model is required/],
    [['bench', 'certify', '--model', 'gpt-5'], /unknown model "gpt-5"/],
    [['bench', 'certify', '--model', 'mixtral-8x7b', '--requests', '0'], /--requests: expected an integer >= 1/],
    [['bench', 'certify', '--model', 'mixtral-8x7b', '--url', 'ftp://x'], /--url: expected an http:\/\/ URL/],
    [['bench', 'certify', '--model', 'mixtral-8x7b', '--url', 'http://x:1', '--start'], /exclude each other/],
    [['bench', 'certify', '--model', 'mixtral-8x7b', '--sim-profile', 'instant'], /only applies with --start/],
    [['bench', 'certify', '--model', 'mixtral-8x7b', 'extra'], /unexpected argument "extra"/],
    [['bench', 'load', '--model', 'mixtral-8x7b', '--profile', 'spike'], /--profile: expected baseline, ramp, sustained/],
    [['bench', 'load', '--model', 'mixtral-8x7b', '--duration', 'long'], /--duration: expected a number/],
    [['bench', 'overhead', '--load', 'ab'], /--load: expected auto, wrk or node/],
    [['bench', 'overhead', '--rate', '0'], /--rate: expected a number >= 1/],
    [['bench', 'overhead', '--bogus'], /Unknown option '--bogus'/],
    [['bench', 'floors', '--load', 'ab'], /--load: expected auto, wrk or node/],
    [['bench', 'floors', '--connections', '0'], /--connections: expected an integer >= 1/],
    [['bench', 'floors', 'extra'], /unexpected argument "extra"/],
  ])('%j is a usage error: exit 2, message and usage on stderr', async (argv, message) => {
    const { result, stdout, stderr } = await cli(argv);
    expect(result).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/Usage: citadel-llm bench/);
  });

  it('fills in the defaults', () => {
    expect(parseCertifyArgs(['--model', 'phi-3-mini'])).toMatchObject({
      model: 'phi-3-mini',
      url: undefined,
      start: false,
      requests: 50,
      concurrency: 10,
      maxTokens: 256,
      temperature: 0.7,
      reportsDir: 'reports',
      json: false,
    });
    expect(parseLoadArgs(['--model', 'yi-34b', '--profile', 'ramp', '--duration', '30'])).toMatchObject({ profile: 'ramp', durationS: 30, maxTokens: 64, minSuccess: 0.99, maxMemoryDriftPct: 10 });
    expect(parseOverheadArgs([])).toMatchObject({
      model: 'mixtral-8x7b',
      rounds: 3,
      durationS: 5,
      connections: 64,
      rate: 'auto',
      streamTokens: 64,
      tokenMs: 20,
      idleStreams: 1000,
      load: 'auto',
      nginx: 'auto',
    });
    expect(parseOverheadArgs(['--rate', '250'])).toMatchObject({ rate: 250 });
    expect(parseFloorsArgs([])).toEqual({
      model: 'mixtral-8x7b',
      rounds: 3,
      durationS: 4,
      warmupS: 1,
      connections: 32,
      maxTokens: 16,
      load: 'auto',
      wrk: undefined,
      outDir: undefined,
      configDir: undefined,
      json: false,
      quiet: false,
    });
  });
});
