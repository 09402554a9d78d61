import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadCitadelConfig } from '../../src/config/config-loader';
import { UnitRenderer } from '../../src/services/core/service-manager/unit-renderer';
import { freePortsEnv, REPO } from '../support/start-citadel';

/**
 * The Node.js the project runs on is the npm package `node` that package.json pins, whatever
 * Node the host has (this machine's is 20). Covered: jest (npm test), the server as `npm start`
 * runs it and its simulator children, bin/citadel-llm with the host's Node first on PATH, the
 * systemd units' ExecStart, and engines/README/lockfile naming the same version.
 */
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string }; dependencies: Record<string, string> };
const PINNED = pkg.dependencies.node;
const PROJECT_NODE = realpathSync(join(REPO, 'node_modules', 'node', 'bin', 'node'));
const built = existsSync(join(REPO, 'dist', 'main.js'));

/** The host's PATH without any node_modules/.bin: the host's own Node comes first, as in a terminal. */
const HOST_PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => !dir.includes('node_modules'))
  .join(delimiter);

describe('the pinned Node.js', () => {
  it('is a Node 24 release, named alike by package.json, the lockfile and README', () => {
    expect(PINNED).toMatch(/^24\.\d+\.\d+$/);
    expect(pkg.engines.node).toBe(`^${PINNED}`);
    const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    expect(lock.packages['node_modules/node'].version).toBe(PINNED);
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    expect(readme).toContain(`Node.js ${PINNED}`);
    expect(readme).toContain(`node@${PINNED}`);
  });

  it('runs the tests (npm test puts node_modules/.bin first on PATH)', () => {
    expect(process.version).toBe(`v${PINNED}`);
  });

  it("runs the systemd units: ExecStart's binary is the project's own Node", () => {
    const manager = loadCitadelConfig({ configDir: join(REPO, 'config'), env: {}, hostMemoryBytes: 2 ** 50 }).serviceManager;
    const template = new UnitRenderer(manager, { app: REPO }).template();
    const [binary, script] = /^ExecStart=(\S+) (\S+) serve %i$/m.exec(template)!.slice(1);
    expect(script).toBe(join(REPO, 'bin', 'citadel-llm'));
    expect(spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe(`v${PINNED}`);
  });

  (built ? it : it.skip)('runs bin/citadel-llm when the host Node comes first on PATH', () => {
    const host = spawnSync('node', ['--version'], { encoding: 'utf8', env: { PATH: HOST_PATH } });
    console.log(`the host's own node: ${host.error ? 'none' : host.stdout.trim()}`);
    const r = spawnSync(join(REPO, 'bin', 'citadel-llm'), ['--version'], { encoding: 'utf8', env: { PATH: HOST_PATH } });
    expect(r.stdout.trim()).toMatch(new RegExp(`on Node\\.js v${PINNED.replace(/\./g, '\\.')}$`));
    expect(r.status).toBe(0);
  });

  (built ? it : it.skip)(
    'runs the server as npm start starts it, and its simulator children',
    async () => {
      // --ignore-scripts skips prestart's build (dist/ is built) and still runs "start" itself.
      const child = spawn('npm', ['start', '--ignore-scripts', '--', '--host', '127.0.0.1'], {
        cwd: REPO,
        env: { ...process.env, PATH: HOST_PATH, ...freePortsEnv(), NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      try {
        const gateway = await gatewayUrl(child);
        const metrics = await (await fetch(`${gateway}/metrics`)).text();
        expect(metrics).toMatch(new RegExp(`^nodejs_version_info\\{version="v${PINNED.replace(/\./g, '\\.')}"`, 'm'));
        // Below npm (run by the host's Node) and its shell: the server and its four simulators.
        const nodes = descendantsOf(child.pid!).filter((pid) => exe(pid) === PROJECT_NODE);
        expect(nodes).toHaveLength(5);
        // To npm alone: it forwards the signal to the server, which stops its simulators.
        child.kill('SIGTERM');
        expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
      } finally {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
    60_000,
  );
});

function gatewayUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /the gateway serves .* on (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`npm start exited early with ${code}`)));
  });
}

/** Every process below `pid` (Linux /proc). */
function descendantsOf(pid: number): number[] {
  const children = childrenOf(pid);
  return [...children, ...children.flatMap(descendantsOf)];
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command's closing parenthesis: state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return children;
}

function exe(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}
