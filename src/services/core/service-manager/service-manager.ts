import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { access, chmod, chown, rename, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { CitadelConfig } from '../../../config/citadel-config';
import { ModelServiceConfig } from '../../../config/model-config';
import { MODEL_IDS } from '../../../config/model-ids';
import { makeDirectories } from './host-probes';
import { SystemctlResult, SystemctlRunner } from './systemctl-runner';
import { GATEWAY_UNIT_NAME, RenderedFile, RenderOptions, TARGET_NAME, UnitRenderer, unitName } from './unit-renderer';

/** One configured model service (seed 1.1's `list_services()`). */
export interface ServiceInfo {
  name: string;
  unit: string;
  enabled: boolean;
  port: number;
  metrics_port: number;
  memory_gb: number;
  cpu_cores: number;
  context_length: number;
  engine_mode: string;
  served_model: string;
  env_file: string;
}

/** `systemctl show` of one unit, the properties an operator looks at first. */
export interface ServiceStatus {
  unit: string;
  load: string;
  active: string;
  sub: string;
  mainPid: number;
  restarts: number;
  memoryCurrent?: number;
  memoryMax?: number;
  cpuQuotaPerSecUSec?: string;
  tasksMax?: number;
  since?: string;
  properties: Record<string, string>;
}

export const STATUS_PROPERTIES = [
  'Id',
  'LoadState',
  'ActiveState',
  'SubState',
  'MainPID',
  'NRestarts',
  'ActiveEnterTimestamp',
  'MemoryCurrent',
  'MemoryMax',
  'CPUQuotaPerSecUSec',
  'TasksMax',
];

export type InstallAction =
  | { kind: 'mkdir'; path: string; mode: number; owner: string; group: string }
  | { kind: 'write'; path: string; mode: number; content: string; keepExisting?: boolean }
  | { kind: 'systemctl'; args: string[] };

export interface Ownership {
  uid: number;
  gid: number;
}

export interface ServiceManagerOptions {
  runner?: SystemctlRunner;
  render?: RenderOptions;
  /** Resolves the service user and group to ids (default: `getent`). */
  resolveOwner?: (user: string, group: string) => Promise<Ownership>;
}

export interface InstallOptions {
  /** Print the actions instead of taking them (through `print`). */
  dryRun?: boolean;
  print?: (line: string) => void;
  /** Install under this folder instead of `/` (tests, image builds); systemctl still runs. */
  rootDir?: string;
}

/**
 * Seed 1.1's ServiceManager: the model services as systemd units. Rendering is pure
 * (UnitRenderer); files are written here; every systemctl call goes through the runner.
 */
export class ServiceManager {
  readonly renderer: UnitRenderer;
  private readonly runner: SystemctlRunner;
  private readonly resolveOwner: (user: string, group: string) => Promise<Ownership>;

  constructor(
    readonly config: CitadelConfig,
    options: ServiceManagerOptions = {},
  ) {
    this.renderer = new UnitRenderer(config.serviceManager, { configDir: config.configDir, ...options.render });
    this.runner = options.runner ?? new SystemctlRunner();
    this.resolveOwner = options.resolveOwner ?? resolveOwnerWithGetent;
  }

  listServices(): ServiceInfo[] {
    return this.config.models.map((m) => ({
      name: m.id,
      unit: unitName(m.id),
      enabled: m.service.enabled,
      port: m.service.port,
      metrics_port: m.monitoring.prometheus_port,
      memory_gb: m.performance.memory_limit_gb,
      cpu_cores: m.performance.cpu_cores,
      context_length: m.model.max_model_len,
      engine_mode: m.engine.mode,
      served_model: m.model.name,
      env_file: this.renderer.envFilePath(m.id),
    }));
  }

  /**
   * The files for one model (`<id>`) or for every loaded model, the target and the gateway (`all`), and the
   * configuration folder's YAMLs, copied to VLLM_SERVICE_TEMPLATE_PATH (and gateway.yaml to its
   * parent) where the installed units read them: every model's, since a service validates all
   * ports against each other when it loads.
   */
  files(model: string): RenderedFile[] {
    const models = this.select(model);
    const yamls: RenderedFile[] = [];
    const installed = this.renderer.installedConfigDir();
    for (const [from, to] of [
      ...MODEL_IDS.map((id) => [join(this.config.configDir, 'services', `${id}.yaml`), posix.join(installed, 'services', `${id}.yaml`)]),
      [join(this.config.configDir, 'gateway.yaml'), posix.join(installed, 'gateway.yaml')],
      // Chat templates a model's engine.vllm.chat_template names relative to the config folder.
      ...templateFiles(this.config.configDir).map((name) => [join(this.config.configDir, 'templates', name), posix.join(installed, 'templates', name)]),
    ]) {
      if (existsSync(from)) yamls.push({ path: to, content: readFileSync(from, 'utf8'), mode: 0o644, kind: 'config' });
    }
    return [...this.renderer.files(models, model === 'all', model === 'all' && this.config.gateway.enabled), ...yamls];
  }

  /** Writes the files under `rootDir` where they sit on a host (DIR/etc/systemd/system/...). */
  async render(model: string, rootDir: string): Promise<RenderedFile[]> {
    const files = this.files(model);
    for (const file of files) await writeAtomic(join(rootDir, file.path), file.content, file.mode);
    return files;
  }

  /** What install() does, in order: the seed's directories, the files, daemon-reload. */
  planInstall(model: string): InstallAction[] {
    const m = this.config.serviceManager;
    const owner = { owner: m.VLLM_USER, group: m.VLLM_GROUP };
    return [
      { kind: 'mkdir', path: m.VLLM_SERVICE_TEMPLATE_PATH, mode: 0o755, ...owner },
      { kind: 'mkdir', path: m.VLLM_LOG_PATH, mode: 0o750, ...owner },
      { kind: 'mkdir', path: m.VLLM_PID_PATH, mode: 0o755, ...owner },
      ...this.files(model).map((f): InstallAction => ({ kind: 'write', path: f.path, mode: f.mode, content: f.content, keepExisting: f.kind === 'config' })),
      { kind: 'systemctl', args: ['daemon-reload'] },
    ];
  }

  async install(model: string, options: InstallOptions = {}): Promise<InstallAction[]> {
    const actions = this.planInstall(model);
    const root = options.rootDir ?? '/';
    if (options.dryRun) {
      const print = options.print ?? ((line: string) => process.stdout.write(line + '\n'));
      for (const action of actions) print(describeAction(action, root));
      return actions;
    }
    const m = this.config.serviceManager;
    const ids = await this.resolveOwner(m.VLLM_USER, m.VLLM_GROUP);
    for (const action of actions) {
      if (action.kind === 'mkdir') {
        const path = join(root, action.path);
        await makeDirectories(path, action.mode);
        await chmod(path, action.mode);
        await chown(path, ids.uid, ids.gid);
      } else if (action.kind === 'write') {
        // An installed YAML is the operator's from then on: install copies it once, never over it.
        if (action.keepExisting && (await exists(join(root, action.path)))) continue;
        await writeAtomic(join(root, action.path), action.content, action.mode);
      } else {
        await this.systemctl(action.args);
      }
    }
    return actions;
  }

  start(model: string): Promise<SystemctlResult> {
    return this.systemctl(['start', ...this.units(model)]);
  }

  stop(model: string): Promise<SystemctlResult> {
    return this.systemctl(['stop', ...this.units(model)]);
  }

  restart(model: string): Promise<SystemctlResult> {
    return this.systemctl(['restart', ...this.units(model)]);
  }

  enable(model: string): Promise<SystemctlResult> {
    return this.systemctl(['enable', ...this.units(model)]);
  }

  /** `systemctl show` of the model's unit (or of the target, every model's unit and the gateway's, for `all`). */
  async status(model: string): Promise<{ result: SystemctlResult; statuses: ServiceStatus[] }> {
    const units = model === 'all' ? [TARGET_NAME, ...this.config.models.map((m) => unitName(m.id)), ...(this.config.gateway.enabled ? [GATEWAY_UNIT_NAME] : [])] : [unitName(this.select(model)[0].id)];
    const result = await this.systemctl(['show', '--no-pager', `--property=${STATUS_PROPERTIES.join(',')}`, ...units]);
    return { result, statuses: result.code === 0 ? parseShow(result.stdout) : [] };
  }

  /** A model's unit; for `all` the target (start/stop/restart/enable reach every model through it). */
  units(model: string): string[] {
    if (model === 'all') return [TARGET_NAME];
    return [unitName(this.select(model)[0].id)];
  }

  private systemctl(args: string[]): Promise<SystemctlResult> {
    return this.runner.run(args);
  }

  private select(model: string): ModelServiceConfig[] {
    if (model === 'all') return [...this.config.models];
    const found = this.config.model(model);
    if (!found) throw new Error(`no model "${model}" in the loaded configuration (have: ${this.config.models.map((m) => m.id).join(', ') || 'none'})`);
    return [found];
  }
}

/** `systemctl show` output: blocks of Key=Value lines, one block per unit, separated by a blank line. */
export function parseShow(stdout: string): ServiceStatus[] {
  const blocks = stdout.split(/\n\s*\n/).filter((b) => b.trim());
  return blocks.map((block) => {
    const p: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) p[line.slice(0, eq)] = line.slice(eq + 1);
    }
    const num = (key: string) => {
      const v = p[key];
      return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
    };
    return {
      unit: p.Id ?? '',
      load: p.LoadState ?? '',
      active: p.ActiveState ?? '',
      sub: p.SubState ?? '',
      mainPid: num('MainPID') ?? 0,
      restarts: num('NRestarts') ?? 0,
      memoryCurrent: num('MemoryCurrent'),
      memoryMax: num('MemoryMax'),
      cpuQuotaPerSecUSec: p.CPUQuotaPerSecUSec,
      tasksMax: num('TasksMax'),
      since: p.ActiveEnterTimestamp || undefined,
      properties: p,
    };
  });
}

export function describeAction(action: InstallAction, root = '/'): string {
  const at = (path: string) => (root === '/' ? path : join(root, path));
  switch (action.kind) {
    case 'mkdir':
      return `mkdir -p -m ${octal(action.mode)} ${at(action.path)} && chown ${action.owner}:${action.group} ${at(action.path)}`;
    case 'write':
      return `write ${at(action.path)} (mode ${octal(action.mode)}, ${Buffer.byteLength(action.content)} bytes${action.keepExisting ? ', unless it exists' : ''})`;
    case 'systemctl':
      return `systemctl ${action.args.join(' ')}`;
  }
}

function octal(mode: number): string {
  return '0' + mode.toString(8);
}

/** Writes through a temporary file and a rename, so a unit is never seen half-written. */
async function writeAtomic(path: string, content: string, mode: number): Promise<void> {
  await makeDirectories(dirname(path));
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, content, { mode });
  await chmod(temp, mode);
  await rename(temp, path);
}

function getent(database: 'passwd' | 'group', name: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('getent', [database, name], { encoding: 'utf8', timeout: 10_000 }, (error, stdout) => resolve(error ? undefined : stdout.trim()));
  });
}

/** The user's and group's ids through NSS (`getent`), so LDAP or sssd users resolve too. */
export async function resolveOwnerWithGetent(user: string, group: string): Promise<Ownership> {
  const passwd = await getent('passwd', user);
  const uid = Number(passwd?.split(':')[2]);
  if (!passwd || !Number.isInteger(uid)) {
    throw new Error(`the service user "${user}" does not exist: create it (useradd --system --no-create-home ${user}) or set VLLM_USER`);
  }
  const groupLine = await getent('group', group);
  const gid = Number(groupLine?.split(':')[2]);
  if (!groupLine || !Number.isInteger(gid)) {
    throw new Error(`the service group "${group}" does not exist: create it (groupadd --system ${group}) or set VLLM_GROUP`);
  }
  return { uid, gid };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The `.jinja` files of a config folder's `templates/` (none when it has no such folder). */
function templateFiles(configDir: string): string[] {
  const dir = join(configDir, 'templates');
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.jinja')).sort() : [];
}
