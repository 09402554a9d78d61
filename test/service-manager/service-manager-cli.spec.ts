import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { parse as parseEnv } from 'dotenv';
import { loadCitadelConfig } from '../../src/config/config-loader';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/cli/usage-error';
import { parseShow, resolveOwnerWithGetent, ServiceManager } from '../../src/services/core/service-manager/service-manager';
import { runServiceManagerCommand, SERVICE_MANAGER_USAGE } from '../../src/cli/service-manager-cli';
import { DryRunSystemctlRunner } from '../../src/services/core/service-manager/systemctl-runner';
import { captureOutput, loadConfig, NEUTRAL_CWD, RecordingRunner, removeTempDirs, REPO, tempDir } from './helpers';

afterAll(removeTempDirs);

const run = (sub: string, argv: string[], extra: Parameters<typeof runServiceManagerCommand>[2] = {}) => {
  const { sink, deps } = captureOutput();
  return runServiceManagerCommand(sub, argv, { env: {}, cwd: NEUTRAL_CWD, ...deps, ...extra }).then((code) => ({ code, ...sink }));
};

const SHOW_ACTIVE = `Id=citadel-llm@phi-3-mini.service
LoadState=loaded
ActiveState=active
SubState=running
MainPID=4242
NRestarts=2
ActiveEnterTimestamp=Mon 2026-11-23 10:00:00 UTC
MemoryCurrent=1288490188
MemoryMax=4294967296
CPUQuotaPerSecUSec=2s
TasksMax=1000
`;

describe('ServiceManager', () => {
  it('lists the configured services (seed 1.1 list_services)', () => {
    const rows = new ServiceManager(loadConfig()).listServices();
    expect(rows.map((r) => [r.name, r.unit, r.port, r.memory_gb, r.cpu_cores])).toEqual([
      ['mixtral-8x7b', 'citadel-llm@mixtral-8x7b.service', 11400, 90, 8],
      ['openchat-3.5', 'citadel-llm@openchat-3.5.service', 11402, 8, 4],
      ['phi-3-mini', 'citadel-llm@phi-3-mini.service', 11403, 4, 2],
      ['yi-34b', 'citadel-llm@yi-34b.service', 11406, 80, 8],
    ]);
    expect(rows[0].env_file).toBe('/opt/citadel/config/services/mixtral-8x7b.env');
  });

  it('sends start/stop/restart/enable/status through the runner', async () => {
    const runner = new RecordingRunner((args) => (args[0] === 'show' ? { stdout: SHOW_ACTIVE } : {}));
    const manager = new ServiceManager(loadConfig(), { runner });
    await manager.start('phi-3-mini');
    await manager.stop('yi-34b');
    await manager.restart('all');
    await manager.enable('openchat-3.5');
    const { statuses } = await manager.status('phi-3-mini');
    expect(runner.calls).toEqual([
      ['start', 'citadel-llm@phi-3-mini.service'],
      ['stop', 'citadel-llm@yi-34b.service'],
      ['restart', 'citadel-llm.target'],
      ['enable', 'citadel-llm@openchat-3.5.service'],
      ['show', '--no-pager', '--property=Id,LoadState,ActiveState,SubState,MainPID,NRestarts,ActiveEnterTimestamp,MemoryCurrent,MemoryMax,CPUQuotaPerSecUSec,TasksMax', 'citadel-llm@phi-3-mini.service'],
    ]);
    expect(statuses[0]).toMatchObject({ unit: 'citadel-llm@phi-3-mini.service', active: 'active', sub: 'running', mainPid: 4242, restarts: 2, memoryMax: 4294967296 });
  });

  it('parses systemctl show for several units ([not set] memory stays undefined)', () => {
    const two = parseShow(`${SHOW_ACTIVE}\nId=citadel-llm.target\nLoadState=loaded\nActiveState=inactive\nSubState=dead\nMainPID=0\nMemoryCurrent=[not set]\n`);
    expect(two.map((s) => [s.unit, s.active])).toEqual([
      ['citadel-llm@phi-3-mini.service', 'active'],
      ['citadel-llm.target', 'inactive'],
    ]);
    expect(two[1].memoryCurrent).toBeUndefined();
  });

  it('installs under a root folder: directories, files, daemon-reload', async () => {
    const root = tempDir('citadel-install-');
    const runner = new RecordingRunner();
    const me = userInfo();
    const manager = new ServiceManager(loadConfig({ VLLM_USER: 'svc', VLLM_GROUP: 'svc' }), {
      runner,
      resolveOwner: (user, group) => {
        expect([user, group]).toEqual(['svc', 'svc']);
        return Promise.resolve({ uid: me.uid, gid: me.gid });
      },
    });
    await manager.install('all', { rootDir: root });
    expect(statSync(join(root, 'var/log/citadel-llm')).mode & 0o777).toBe(0o750);
    expect(statSync(join(root, 'var/run/citadel-llm')).isDirectory()).toBe(true);
    expect(statSync(join(root, 'etc/systemd/system/citadel-llm@.service')).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(root, 'etc/systemd/system/citadel-llm@yi-34b.service.d/10-resources.conf'), 'utf8')).toContain('MemoryMax=80G');
    expect(existsSync(join(root, 'opt/citadel/config/services/yi-34b.env'))).toBe(true);
    expect(existsSync(join(root, 'etc/systemd/system/citadel-llm.target'))).toBe(true);
    expect(runner.calls).toEqual([['daemon-reload']]);
  });

  it('resolves the service user through getent and explains a missing one', async () => {
    await expect(resolveOwnerWithGetent('root', 'root')).resolves.toEqual({ uid: 0, gid: 0 });
    await expect(resolveOwnerWithGetent('citadel-no-such-user', 'root')).rejects.toThrow(/useradd --system --no-create-home citadel-no-such-user/);
  });
});

describe('citadel-llm services (service manager commands)', () => {
  it('render writes the files under --root', async () => {
    const root = tempDir('citadel-render-');
    const { code, out } = await run('render', ['phi-3-mini', '--root', root, '--app', '/opt/citadel/app']);
    expect(code).toBe(0);
    expect(out).toContain(`wrote ${join(root, 'etc/systemd/system/citadel-llm@phi-3-mini.service.d/10-resources.conf')}`);
    expect(readFileSync(join(root, 'etc/systemd/system/citadel-llm@.service'), 'utf8')).toContain('ExecStart=/opt/citadel/app/node_modules/node/bin/node /opt/citadel/app/bin/citadel-llm serve %i\n');
    expect(readFileSync(join(root, 'opt/citadel/config/services/phi-3-mini.env'), 'utf8')).toContain('CITADEL_CONFIG_DIR=/opt/citadel/config\n');
    expect(readFileSync(join(root, 'opt/citadel/config/services/phi-3-mini.env'), 'utf8')).not.toContain('PHI_3_MINI_PORT');
    expect(readFileSync(join(root, 'opt/citadel/config/services/phi-3-mini.yaml'), 'utf8')).toBe(readFileSync(join(REPO, 'config/services/phi-3-mini.yaml'), 'utf8'));
    expect(readFileSync(join(root, 'opt/citadel/config/gateway.yaml'), 'utf8')).toBe(readFileSync(join(REPO, 'config/gateway.yaml'), 'utf8'));
    // One model: no target (it lists every enabled model; "render all" writes it).
    expect(existsSync(join(root, 'etc/systemd/system/citadel-llm.target'))).toBe(false);
  });

  it('render says nothing about host memory (that warning is for serve and validate)', async () => {
    const root = tempDir('citadel-render-');
    // 90 GB for Mixtral: more than any test host has, so the loader has a warning to give.
    const { code, err } = await run('render', ['all', '--root', root, '--app', '/opt/citadel/app'], { env: { MIXTRAL_8X7B_MEMORY_GB: '100000' } });
    expect(code).toBe(0);
    expect(err).toBe('');
  });

  it.each([
    ['start', 'mixtral-8x7b', 'systemctl start citadel-llm@mixtral-8x7b.service'],
    ['stop', 'openchat-3.5', 'systemctl stop citadel-llm@openchat-3.5.service'],
    ['restart', 'all', 'systemctl restart citadel-llm.target'],
    ['enable', 'yi-34b', 'systemctl enable citadel-llm@yi-34b.service'],
    ['status', 'phi-3-mini', 'systemctl show --no-pager --property=Id,LoadState,ActiveState,SubState,MainPID,NRestarts,ActiveEnterTimestamp,MemoryCurrent,MemoryMax,CPUQuotaPerSecUSec,TasksMax citadel-llm@phi-3-mini.service'],
  ])('%s %s --dry-run prints the systemctl call', async (sub, model, line) => {
    const runner = new RecordingRunner();
    const { code, out } = await run(sub, [model, '--dry-run'], { runner });
    expect(code).toBe(0);
    expect(out.trim()).toBe(line);
    expect(runner.calls).toEqual([]);
  });

  it('start without --dry-run calls systemctl; a failure is exit 1 with its message', async () => {
    const ok = new RecordingRunner();
    expect((await run('start', ['phi-3-mini'], { runner: ok })).code).toBe(0);
    expect(ok.calls).toEqual([['start', 'citadel-llm@phi-3-mini.service']]);
    const failing = new RecordingRunner(() => ({ code: 5, stderr: 'Failed to start citadel-llm@phi-3-mini.service: Unit not found.\n' }));
    const result = await run('start', ['phi-3-mini'], { runner: failing });
    expect(result.code).toBe(1);
    expect(result.err).toContain('Unit not found.');
    expect(result.err).toContain('systemctl start citadel-llm@phi-3-mini.service failed (exit 5)');
  });

  it('status prints a table; exit 1 when a unit is not active', async () => {
    const active = await run('status', ['phi-3-mini'], { runner: new RecordingRunner(() => ({ stdout: SHOW_ACTIVE })) });
    expect(active.code).toBe(0);
    expect(active.out).toMatch(/^UNIT\s+LOAD\s+ACTIVE\s+SUB\s+PID\s+RESTARTS\s+MEMORY\s+SINCE$/m);
    expect(active.out).toMatch(/citadel-llm@phi-3-mini\.service\s+loaded\s+active\s+running\s+4242\s+2\s+1\.2 GiB \/ 4\.0 GiB/);
    expect(active.out).toContain('logs citadel-llm@phi-3-mini.service: journalctl -u citadel-llm@phi-3-mini.service (identifier citadel-llm-phi-3-mini); pid: systemctl show -p MainPID citadel-llm@phi-3-mini.service\n');
    const inactive = await run('status', ['phi-3-mini'], { runner: new RecordingRunner(() => ({ stdout: SHOW_ACTIVE.replace('ActiveState=active', 'ActiveState=failed') })) });
    expect(inactive.code).toBe(1);
  });

  it('install --dry-run prints every action and touches nothing', async () => {
    const runner = new RecordingRunner();
    const { code, out } = await run('install', ['all', '--dry-run'], { runner, isRoot: () => false });
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'mkdir -p -m 0755 /opt/citadel/config/services && chown agent0:agent0 /opt/citadel/config/services',
      'mkdir -p -m 0750 /var/log/citadel-llm && chown agent0:agent0 /var/log/citadel-llm',
      'mkdir -p -m 0755 /var/run/citadel-llm && chown agent0:agent0 /var/run/citadel-llm',
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^write \/etc\/systemd\/system\/citadel-llm@\.service \(mode 0644, \d+ bytes\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^write \/etc\/systemd\/system\/citadel-llm\.target /));
    expect(lines).toContainEqual(expect.stringMatching(/^write \/opt\/citadel\/config\/services\/openchat-3\.5\.env /));
    expect(lines[lines.length - 1]).toBe('systemctl daemon-reload');
    expect(runner.calls).toEqual([]);
  });

  it('install without root refuses (exit 1)', async () => {
    const { code, err } = await run('install', ['mixtral-8x7b'], { runner: new RecordingRunner(), isRoot: () => false });
    expect(code).toBe(1);
    expect(err).toMatch(/needs root/);
  });

  it('install as root writes the files and reloads systemd', async () => {
    const root = tempDir('citadel-install-cli-');
    const runner = new RecordingRunner();
    const me = userInfo();
    const { code, out } = await run('install', ['openchat-3.5'], {
      runner,
      isRoot: () => true,
      installRoot: root,
      resolveOwner: () => Promise.resolve({ uid: me.uid, gid: me.gid }),
    });
    expect(code).toBe(0);
    expect(out).toContain('installed citadel-llm@openchat-3.5.service');
    expect(existsSync(join(root, 'etc/systemd/system/citadel-llm@openchat-3.5.service.d/20-order.conf'))).toBe(true);
    expect(runner.calls).toEqual([['daemon-reload']]);
  });

  it('installed units read the YAML in VLLM_SERVICE_TEMPLATE_PATH: an edit there is what the service loads next; install never overwrites it; env file variables still win', async () => {
    const root = tempDir('citadel-install-yaml-');
    const me = userInfo();
    const deps = { runner: new RecordingRunner(), isRoot: () => true, installRoot: root, resolveOwner: () => Promise.resolve({ uid: me.uid, gid: me.gid }) };
    expect((await run('install', ['openchat-3.5'], deps)).code).toBe(0);
    const yamlPath = join(root, 'opt/citadel/config/services/openchat-3.5.yaml');
    const envPath = join(root, 'opt/citadel/config/services/openchat-3.5.env');
    // What the unit loads: its env file, with CITADEL_CONFIG_DIR under the test's root.
    const asTheUnit = () => {
      const env = parseEnv(readFileSync(envPath, 'utf8'));
      expect(env.CITADEL_CONFIG_DIR).toBe('/opt/citadel/config');
      return loadCitadelConfig({ env: { ...env, CITADEL_CONFIG_DIR: join(root, env.CITADEL_CONFIG_DIR) }, cwd: NEUTRAL_CWD, only: ['openchat-3.5'], hostMemoryBytes: 2 ** 50 }).model('openchat-3.5')!;
    };
    expect(asTheUnit().performance.target_latency_ms).toBe(loadConfig().model('openchat-3.5')!.performance.target_latency_ms);

    // The seeds' step: edit (or cp over) the installed YAML, then restart or reload.
    writeFileSync(yamlPath, readFileSync(yamlPath, 'utf8').replace(/target_latency_ms: \d+/, 'target_latency_ms: 777'));
    expect(asTheUnit().performance.target_latency_ms).toBe(777);
    expect((await run('install', ['openchat-3.5'], deps)).code).toBe(0);
    expect(asTheUnit().performance.target_latency_ms).toBe(777);

    // A variable set when installing goes into the env file and overrides the YAML key.
    expect((await run('install', ['openchat-3.5'], { ...deps, env: { OPENCHAT_3_5_TARGET_LATENCY_MS: '300' } })).code).toBe(0);
    expect(asTheUnit().performance.target_latency_ms).toBe(300);
  });

  it.each([
    [['render', ['gpt-5', '--root', '/tmp/x']], /unknown model "gpt-5"/],
    [['start', []], /takes one <model\|all>/],
    [['start', ['phi-3-mini', 'yi-34b']], /takes one <model\|all>/],
    [['validate', ['all']], /unknown model "all"/],
    [['render', ['all']], /needs --root DIR/],
    [['render', ['all', '--root', '/tmp/x', '--app', 'citadel']], /--app must be an absolute path/],
    [['render', ['all', '--root', '/tmp/x', '--node', 'node']], /--node must be an absolute path/],
    [['start', ['all', '--root', '/tmp/x']], /does not take --root/],
    [['start', ['all', '--force']], /Unknown option '--force'/],
    [['frobnicate', ['all']], /unknown services command "frobnicate"/],
  ] as const)('usage errors: %j', async ([sub, argv], message) => {
    const attempt = run(sub, [...argv]);
    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow(message);
  });

  it('--help prints the usage', async () => {
    const { code, out } = await run('render', ['--help']);
    expect(code).toBe(0);
    expect(out.trim()).toBe(SERVICE_MANAGER_USAGE);
  });

  it('a dry-run runner prints a quoted command line', async () => {
    const lines: string[] = [];
    await new DryRunSystemctlRunner((l) => lines.push(l)).run(['show', "a b's"]);
    expect(lines).toEqual([`systemctl show 'a b'\\''s'`]);
  });
});
