import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO, REPO_CONFIG } from './cli-helpers';

/**
 * The built program, run as an operator runs it. Needs `npm run build` first; without
 * dist/main.js these tests are skipped. CLI_MAIN_JS may name another build of main.js.
 */
const MAIN = resolve(process.env.CLI_MAIN_JS ?? join(REPO, 'dist', 'main.js'));
const built = existsSync(MAIN);

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the program in `cwd` with only the given configuration variables. */
function runMain(cwd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1', CITADEL_CONFIG_DIR: REPO_CONFIG, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // A safety net only: every command here ends on its own.
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', (error) => {
      clearTimeout(guard);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
}

/** Every command line the tests look at; they run side by side once. */
const RUNS = {
  help: { args: ['--help'] },
  unknown: { args: ['frobnicate'] },
  serveBogus: { args: ['serve', '--bogus'] },
  serveInvalid: { args: ['serve'], env: { MIXTRAL_8X7B_PORT: 'abc', CITADEL_ENV: 'prod' } },
  serveHelp: { args: ['serve', '--help'] },
  servicesHelp: { args: ['services', '--help'] },
  simHelp: { args: ['sim', '--help'] },
  benchHelp: { args: ['bench', '--help'] },
  list: { args: ['services', 'list', '--json'], env: { PHI_3_MINI_MEMORY_GB: '6' } },
  listExtra: { args: ['services', 'list', 'extra-arg'] },
  listBogus: { args: ['services', 'list', '--bogus'] },
} satisfies Record<string, { args: string[]; env?: Record<string, string> }>;

(built ? describe : describe.skip)(`node ${MAIN}`, () => {
  let cwd: string;
  const results = {} as Record<keyof typeof RUNS, Run>;

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'citadel-cli-e2e-'));
    const queue = Object.entries(RUNS) as Array<[keyof typeof RUNS, { args: string[]; env?: Record<string, string> }]>;
    // A few at a time: each one starts a whole Node program.
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) results[next[0]] = await runMain(cwd, next[1].args, next[1].env);
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }, 180_000);
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('--help exits 0 and lists serve, services, sim and bench', () => {
    const { code, stdout } = results.help;
    expect(code).toBe(0);
    for (const command of ['serve', 'services', 'sim', 'bench']) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('an unknown command exits 2 with the usage on stderr', () => {
    const { code, stdout, stderr } = results.unknown;
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/unknown command "frobnicate"/);
    expect(stderr).toMatch(/Usage: citadel-llm <command>/);
  });

  it('serve --bogus exits 2 with the serve usage', () => {
    const { code, stderr } = results.serveBogus;
    expect(code).toBe(2);
    expect(stderr).toMatch(/--bogus/);
    expect(stderr).toMatch(/Usage: citadel-llm serve/);
  });

  it('serve with an invalid configuration exits 2 and prints one line per problem: variable, key, value, rule', () => {
    const { code, signal, stderr } = results.serveInvalid;
    expect(signal).toBeNull();
    expect(code).toBe(2);
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/invalid configuration \(2 problems\)/);
    expect(lines).toContain(
      '  MIXTRAL_8X7B_PORT (environment): service.port = "abc": must be an integer port from 1 to 65535 (0 only in tests: any free port)',
    );
    expect(lines).toContain('  CITADEL_ENV (environment): CITADEL_ENV = "prod": must be one of development, staging, production, test');
    expect(lines).toHaveLength(3);
  });

  it.each([
    ['serve', 'serveHelp'],
    ['services', 'servicesHelp'],
    ['sim', 'simHelp'],
    ['bench', 'benchHelp'],
  ] as const)('%s --help exits 0', (command, name) => {
    const { code, stdout } = results[name];
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`Usage: citadel-llm ${command}`));
  });

  it('services list --json lists the four services with the environment applied', () => {
    const { code, stdout } = results.list;
    expect(code).toBe(0);
    // Anything logged before the JSON (e.g. a memory warning) is not part of it.
    const rows = JSON.parse(stdout.slice(stdout.indexOf('\n[') + 1)) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.name, r.port, r.metrics_port, r.memory_gb])).toEqual([
      ['mixtral-8x7b', 11400, 11401, 90],
      ['openchat-3.5', 11402, 11405, 8],
      ['phi-3-mini', 11403, 11404, 6],
      ['yi-34b', 11406, 11407, 80],
    ]);
  });

  it('services list with an extra argument or an unknown flag exits 2', () => {
    for (const name of ['listExtra', 'listBogus'] as const) {
      expect(results[name].code).toBe(2);
      expect(results[name].stderr).toMatch(/Usage: citadel-llm services/);
    }
  });
});

if (!built) {
  it.skip(`(${MAIN} is not built: run npm run build)`, () => undefined);
}
