import { posix } from 'node:path';
import { GATEWAY_ENV_KEYS, MODEL_ENV_KEYS } from '../../../config/env-overrides';
import { ModelServiceConfig } from '../../../config/model-config';
import { envPrefix, MODEL_IDS } from '../../../config/model-ids';
import { ServiceManagerConfig } from '../../../config/service-manager.config';

/** The template's name; each model runs as an instance of it. */
export const UNIT_TEMPLATE_NAME = 'citadel-llm@.service';
/** The target that pulls in every enabled model's unit. */
export const TARGET_NAME = 'citadel-llm.target';
export const RESOURCES_DROP_IN = '10-resources.conf';
export const ORDER_DROP_IN = '20-order.conf';
export const TMPFILES_NAME = 'citadel-llm.conf';
/** The gateway's unit: `citadel-llm gateway` in front of the model services. */
export const GATEWAY_UNIT_NAME = 'citadel-llm-gateway.service';

export function unitName(modelId: string): string {
  return `citadel-llm@${modelId}.service`;
}

export interface RenderOptions {
  /** The installed project (its `bin/citadel-llm` and `node_modules/`), run by ExecStart/ExecStartPre. */
  app?: string;
  /** The Node.js binary that runs it (default: the project's own, `<app>/node_modules/node/bin/node`). */
  node?: string;
  /** Folders put in front of the standard PATH (where `vllm` lives); the Node binary's folder comes first. */
  pathPrefix?: readonly string[];
  /** The services' working directory. */
  workingDirectory?: string;
  /** Where unit files go on the target system. */
  unitDir?: string;
  /** Where tmpfiles.d entries go on the target system. */
  tmpfilesDir?: string;
  /** The model ids in start order: a model's unit starts after those before it. */
  order?: readonly string[];
  /** Folder holding the model YAMLs the files are rendered from (the installed copies are read from VLLM_SERVICE_TEMPLATE_PATH). */
  configDir?: string;
  /**
   * The environment the files are rendered in: the model variables set there (e.g.
   * MIXTRAL_8X7B_PORT) go into the env files, and only those, so the installed YAML stays the
   * source of every other setting.
   */
  operatorEnv?: NodeJS.ProcessEnv;
}

export const DEFAULT_RENDER_OPTIONS: Required<Omit<RenderOptions, 'configDir' | 'node' | 'operatorEnv'>> = {
  app: '/opt/citadel/app',
  pathPrefix: ['/opt/citadel/env/bin'],
  workingDirectory: '/opt/citadel',
  unitDir: '/etc/systemd/system',
  tmpfilesDir: '/etc/tmpfiles.d',
  order: MODEL_IDS,
};

export type RenderedKind = 'template' | 'drop-in' | 'env' | 'target' | 'tmpfiles' | 'config';

/** One file as it sits on the target system (`path` is absolute from `/`). */
export interface RenderedFile {
  path: string;
  content: string;
  mode: number;
  kind: RenderedKind;
}

/** A value that cannot be written into a unit or env file safely. */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

const STANDARD_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
/** Paths written into unit files: absolute, no whitespace, quotes, `%`, `$` or `\`. */
const SAFE_PATH = /^\/[A-Za-z0-9._/+:@-]*$/;
/** Whether the units' ProtectHome=true makes a path inaccessible to the service. */
export function hiddenFromUnits(path: string): boolean {
  return /^\/(home|root|run\/user)(\/|$)/.test(path);
}

/** The Node.js binary of an installed project: the npm package `node` (see package.json). */
export function projectNode(app: string): string {
  return posix.join(app, 'node_modules', 'node', 'bin', 'node');
}

/**
 * Turns configuration into the text of the systemd files: the unit template, the per-model
 * drop-ins and env files, the target and the tmpfiles.d entry. Pure: no I/O.
 */
export class UnitRenderer {
  private readonly options: Required<Omit<RenderOptions, 'configDir' | 'operatorEnv'>> & { configDir?: string; operatorEnv?: NodeJS.ProcessEnv };

  constructor(
    private readonly manager: ServiceManagerConfig,
    options: RenderOptions = {},
  ) {
    const merged = { ...DEFAULT_RENDER_OPTIONS, ...stripUndefined(options) };
    this.options = { ...merged, node: merged.node ?? projectNode(merged.app) };
    for (const [what, path] of [
      ['the installed project', this.options.app],
      ['the Node.js binary', this.options.node],
      ['the working directory', this.options.workingDirectory],
      ['VLLM_SERVICE_TEMPLATE_PATH', manager.VLLM_SERVICE_TEMPLATE_PATH],
      ['VLLM_LOG_PATH', manager.VLLM_LOG_PATH],
      ['VLLM_PID_PATH', manager.VLLM_PID_PATH],
      ...this.options.pathPrefix.map((p) => ['a PATH folder', p] as const),
    ] as const) {
      if (!SAFE_PATH.test(path)) {
        throw new RenderError(`${what} must be an absolute path of letters, digits and . _ / + : @ - (got ${JSON.stringify(path)})`);
      }
    }
    if (posix.basename(manager.VLLM_SERVICE_TEMPLATE_PATH) !== 'services') {
      // The configuration is read from <CITADEL_CONFIG_DIR>/services/<model>.yaml.
      throw new RenderError(`VLLM_SERVICE_TEMPLATE_PATH must be a folder named "services" (the model YAMLs' folder inside the configuration folder), got ${manager.VLLM_SERVICE_TEMPLATE_PATH}`);
    }
  }

  /** The installed project and the Node.js binary the units run it with. */
  get runtime(): { app: string; node: string } {
    return { app: this.options.app, node: this.options.node };
  }

  /** The absolute path of the env file of a model on the target system. */
  envFilePath(modelId: string): string {
    return posix.join(this.manager.VLLM_SERVICE_TEMPLATE_PATH, `${modelId}.env`);
  }

  dropInDir(modelId: string): string {
    return posix.join(this.options.unitDir, `${unitName(modelId)}.d`);
  }

  /**
   * Every file for these models; the target only when `withTarget` (it lists all enabled models),
   * and then the gateway's unit and env file too when `withGateway`.
   */
  files(models: readonly ModelServiceConfig[], withTarget: boolean, withGateway = false): RenderedFile[] {
    const files: RenderedFile[] = [
      { path: posix.join(this.options.unitDir, UNIT_TEMPLATE_NAME), content: this.template(), mode: 0o644, kind: 'template' },
    ];
    for (const m of models) {
      files.push({ path: posix.join(this.dropInDir(m.id), RESOURCES_DROP_IN), content: this.resourcesDropIn(m), mode: 0o644, kind: 'drop-in' });
      const order = this.orderDropIn(m.id);
      if (order) files.push({ path: posix.join(this.dropInDir(m.id), ORDER_DROP_IN), content: order, mode: 0o644, kind: 'drop-in' });
      files.push({ path: this.envFilePath(m.id), content: this.envFile(m), mode: 0o644, kind: 'env' });
    }
    if (withTarget) {
      const enabled = models.filter((m) => m.service.enabled);
      files.push({ path: posix.join(this.options.unitDir, TARGET_NAME), content: this.target(enabled, withGateway), mode: 0o644, kind: 'target' });
      if (withGateway) {
        files.push({ path: posix.join(this.options.unitDir, GATEWAY_UNIT_NAME), content: this.gatewayUnit(enabled), mode: 0o644, kind: 'template' });
        files.push({ path: this.gatewayEnvFilePath(), content: this.gatewayEnvFile(), mode: 0o644, kind: 'env' });
      }
    }
    files.push({ path: posix.join(this.options.tmpfilesDir, TMPFILES_NAME), content: this.tmpfiles(), mode: 0o644, kind: 'tmpfiles' });
    return files;
  }

  /** `citadel-llm@.service`: what every model's service shares. Limits per model are in drop-ins. */
  template(): string {
    const m = this.manager;
    const o = this.options;
    const { exec, path } = this.execAndPath();
    return `# Citadel LLM Server: one model service (citadel-llm@<model>.service).
# Rendered by "citadel-llm services render"; per-model limits are in
# citadel-llm@<model>.service.d/10-resources.conf, settings in ${this.envFilePath('<model>')}.
# Local changes belong in a drop-in (systemctl edit citadel-llm@<model>.service).

[Unit]
Description=Citadel LLM Server - %i model service
After=network.target
PartOf=${TARGET_NAME}
# A service that keeps failing at start (e.g. its pre-start checks) stops being restarted.
StartLimitIntervalSec=600
StartLimitBurst=5

[Service]
Type=exec
User=${m.VLLM_USER}
Group=${m.VLLM_GROUP}
WorkingDirectory=${o.workingDirectory}
Environment=PATH=${path}
Environment=NODE_ENV=production
# The service user's home is hidden (ProtectHome=): Python, vLLM, Hugging Face and Triton keep
# their caches and state in per-model directories that systemd creates and owns for the user.
StateDirectory=citadel-llm/%i
CacheDirectory=citadel-llm/%i
Environment=HOME=%S/citadel-llm/%i
Environment=XDG_CACHE_HOME=%C/citadel-llm/%i
Environment=VLLM_NO_USAGE_STATS=1
# The model's settings; values here win over Environment= above.
EnvironmentFile=${this.envFilePath('%i')}
# Node.js is the installed project's own (the npm package "node", at the version its package.json
# pins), not the host's.
ExecStartPre=${exec} services validate %i
ExecStart=${exec} serve %i
ExecReload=/bin/kill -HUP $MAINPID
Restart=${m.DEFAULT_RESTART_POLICY}
RestartSec=${m.DEFAULT_RESTART_SEC}
# The pre-start checks hash the model's weights when model.sha256 is present (minutes for 90 GB).
TimeoutStartSec=900
# SIGTERM goes to the server only, which stops its engine child within its grace period;
# whatever is left in the unit's cgroup after TimeoutStopSec is killed.
KillSignal=SIGTERM
KillMode=mixed
TimeoutStopSec=90
StandardOutput=journal
StandardError=journal
SyslogIdentifier=citadel-llm-%i

# Resource limits (memory and CPU per model: 10-resources.conf)
LimitNOFILE=65536
LimitNPROC=32768
UMask=0027

${this.security('gpu', [m.VLLM_SERVICE_TEMPLATE_PATH, m.VLLM_LOG_PATH, m.VLLM_PID_PATH])}

[Install]
WantedBy=multi-user.target
`;
  }

  /** The command that runs the CLI and the PATH it runs with. */
  private execAndPath(): { exec: string; path: string } {
    const o = this.options;
    // The project's own Node runs the CLI, whatever Node the host has; its folder leads PATH too.
    const exec = `${o.node} ${posix.join(o.app, 'bin', 'citadel-llm')}`;
    const prefix = [...new Set([posix.dirname(o.node), ...o.pathPrefix])];
    const path = [...prefix, ...STANDARD_PATH.filter((p) => !prefix.includes(p))].join(':');
    return { exec, path };
  }

  /**
   * The hardening every unit shares (the model services' and the gateway's): `gpu` lets the
   * NVIDIA devices through; `none` gives a unit that needs no device a private /dev.
   */
  private security(devices: 'gpu' | 'none', writable: readonly string[]): string {
    return `# Security
NoNewPrivileges=true
PrivateTmp=true
ProtectSystem=strict
ProtectHome=true
${writable.length ? `ReadWritePaths=${writable.join(' ')}\n` : ''}CapabilityBoundingSet=
AmbientCapabilities=
${devices === 'gpu' ? GPU_DEVICES : NO_DEVICES}ProtectKernelTunables=true
ProtectKernelModules=true
ProtectKernelLogs=true
ProtectControlGroups=true
ProtectClock=true
ProtectHostname=true
# Other users' processes are hidden; /proc stays complete (ProcSubset=pid would hide
# /proc/meminfo and /proc/cpuinfo, which the checks, PyTorch and psutil read).
ProtectProc=invisible
PrivateMounts=true
RestrictSUIDSGID=true
RestrictRealtime=true
RestrictNamespaces=true
LockPersonality=true
# The user's System V and POSIX IPC objects go when the last unit running as that user stops.
RemoveIPC=true
# AF_NETLINK: interface discovery (getifaddrs) by Node and NCCL.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native
# A system call outside the list fails with EPERM instead of killing the process; to allow
# one more (e.g. pidfd_getfd for some CUDA IPC paths), add SystemCallFilter=<name> in a drop-in.
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
# Not set: MemoryDenyWriteExecute= (V8's JIT needs writable+executable memory), PrivateUsers=
# (GPU device nodes and model files are owned by host users), PrivateNetwork=/IPAddressDeny=
# (the service listens for clients).`;
  }

  /** `10-resources.conf`: the model's limits, with the service defaults where it has none. */
  resourcesDropIn(model: ModelServiceConfig): string {
    const m = this.manager;
    const memoryGb = model.performance?.memory_limit_gb ?? m.DEFAULT_MEMORY_LIMIT_GB;
    const cores = model.performance?.cpu_cores ?? m.DEFAULT_CPU_CORES;
    return `# ${model.id}: resource limits, rendered from its configuration (memory_limit_gb, cpu_cores)
# and the service defaults (DEFAULT_MAX_TASKS, DEFAULT_RESTART_POLICY, DEFAULT_RESTART_SEC).
[Service]
MemoryMax=${formatNumber(memoryGb)}G
CPUQuota=${formatNumber(cores * 100)}%
TasksMax=${m.DEFAULT_MAX_TASKS}
Restart=${m.DEFAULT_RESTART_POLICY}
RestartSec=${m.DEFAULT_RESTART_SEC}
`;
  }

  /**
   * `20-order.conf`: starts this model's unit after every model listed before it. Ordering
   * between units that are not started together has no effect, so a disabled model does not
   * break the chain. With Type=exec a unit counts as started once its pre-start checks passed
   * and the server was executed, not once the model answers.
   */
  orderDropIn(modelId: string): string | undefined {
    const index = this.options.order.indexOf(modelId);
    const before = index > 0 ? this.options.order.slice(0, index) : [];
    if (before.length === 0) return undefined;
    return `# ${modelId}: start order (${this.options.order.join(', ')})
[Unit]
After=${before.map(unitName).join(' ')}
`;
  }

  /**
   * The configuration folder installed units read (CITADEL_CONFIG_DIR): the parent of
   * VLLM_SERVICE_TEMPLATE_PATH, whose YAMLs the seeds copy there (`<dir>/services/<model>.yaml`).
   */
  installedConfigDir(): string {
    return posix.dirname(this.manager.VLLM_SERVICE_TEMPLATE_PATH);
  }

  /**
   * `<model>.env`: CITADEL_CONFIG_DIR pointing at the installed YAMLs, the service settings, and
   * the model variables the operator set when rendering (an env file value wins over the YAML,
   * so a variable nobody set would silently pin the YAML's value of render time).
   */
  envFile(model: ModelServiceConfig): string {
    const prefix = envPrefix(model.id);
    const lines = [
      `# ${model.id}: settings for citadel-llm@${model.id}.service.`,
      `# The service reads ${posix.join(this.manager.VLLM_SERVICE_TEMPLATE_PATH, `${model.id}.yaml`)}; edit it and restart`,
      '# (or systemctl reload). A variable below overrides its YAML key: only those set when',
      '# rendering are here.',
    ];
    const operatorEnv = this.options.operatorEnv ?? {};
    for (const [suffix] of MODEL_ENV_KEYS) {
      const value = operatorEnv[`${prefix}_${suffix}`];
      if (value !== undefined) lines.push(envLine(`${prefix}_${suffix}`, value));
    }
    const m = this.manager;
    lines.push(envLine('CITADEL_ENV', m.CITADEL_ENV));
    // The addresses the service prints for clients (SERVER_HOSTNAME defaults to the host's name).
    lines.push(envLine('SERVER_IP', m.SERVER_IP));
    lines.push(envLine('SERVER_HOSTNAME', m.SERVER_HOSTNAME));
    lines.push(envLine('CITADEL_CONFIG_DIR', this.installedConfigDir()));
    lines.push(envLine('VLLM_SERVICE_TEMPLATE_PATH', m.VLLM_SERVICE_TEMPLATE_PATH));
    lines.push(envLine('VLLM_LOG_PATH', m.VLLM_LOG_PATH));
    lines.push(envLine('VLLM_PID_PATH', m.VLLM_PID_PATH));
    return lines.join('\n') + '\n';
  }

  /** The enabled models' units in start order. */
  private modelUnits(enabled: readonly ModelServiceConfig[]): string[] {
    const ids = this.options.order.filter((id) => enabled.some((m) => m.id === id));
    const rest = enabled.map((m) => m.id).filter((id) => !ids.includes(id));
    return [...ids, ...rest].map(unitName);
  }

  /**
   * `citadel-llm.target`: wants every enabled model's unit (20-order.conf orders them) and, with
   * `withGateway`, the gateway's, which starts after them.
   */
  target(enabled: readonly ModelServiceConfig[], withGateway = false): string {
    const units = this.modelUnits(enabled);
    const wanted = withGateway ? [...units, GATEWAY_UNIT_NAME] : units;
    return `# Citadel LLM Server: every enabled model service${withGateway ? ' and the gateway' : ''}.
# systemctl start|stop|restart ${TARGET_NAME} acts on all of them (they are PartOf= it);
# they start in this order: ${wanted.join(', ') || '(none)'}.
[Unit]
Description=Citadel LLM Server - all model services${withGateway ? ' and the gateway' : ''}
After=network.target
${wanted.length ? `Wants=${wanted.join(' ')}\n` : ''}
[Install]
WantedBy=multi-user.target
`;
  }

  /** The absolute path of the gateway's env file on the target system. */
  gatewayEnvFilePath(): string {
    return posix.join(this.manager.VLLM_SERVICE_TEMPLATE_PATH, 'gateway.env');
  }

  /**
   * `citadel-llm-gateway.service`: `citadel-llm gateway` in front of the model services, part of
   * the target and started after the enabled models' units. With Type=exec those count as started
   * once their servers were executed, not once the models answer: the gateway probes each model
   * service and routes to it once its /health passes. The model services' hardening, with a
   * private /dev (no GPU) and nothing writable; the design's allocation (2 GB, 2 cores).
   */
  gatewayUnit(enabled: readonly ModelServiceConfig[]): string {
    const m = this.manager;
    const o = this.options;
    const { exec, path } = this.execAndPath();
    const after = ['network.target', ...this.modelUnits(enabled)];
    return `# Citadel LLM Server: the gateway (${GATEWAY_UNIT_NAME}), one endpoint for every model in front
# of the model services, reached over HTTP (gateway.services in gateway.yaml, else each model's
# service port on this host). Rendered by "citadel-llm services render all"; settings in
# ${this.gatewayEnvFilePath()}. API keys (CITADEL_API_KEY_FILE for clients,
# CITADEL_MODEL_SERVICE_KEY_FILE for the key it sends to the model services) belong in a drop-in
# (systemctl edit ${GATEWAY_UNIT_NAME}), which a new render leaves alone.

[Unit]
Description=Citadel LLM Server - gateway
After=${after.join(' ')}
PartOf=${TARGET_NAME}
StartLimitIntervalSec=600
StartLimitBurst=5

[Service]
Type=exec
User=${m.VLLM_USER}
Group=${m.VLLM_GROUP}
WorkingDirectory=${o.workingDirectory}
Environment=PATH=${path}
Environment=NODE_ENV=production
EnvironmentFile=${this.gatewayEnvFilePath()}
ExecStart=${exec} gateway
ExecReload=/bin/kill -HUP $MAINPID
Restart=${m.DEFAULT_RESTART_POLICY}
RestartSec=${m.DEFAULT_RESTART_SEC}
# SIGTERM: /health/ready fails and new requests get 503 at once, requests in flight finish within
# the grace period, then the listener closes; whatever is left after TimeoutStopSec is killed.
KillSignal=SIGTERM
KillMode=mixed
TimeoutStopSec=90
StandardOutput=journal
StandardError=journal
SyslogIdentifier=citadel-llm-gateway

# Resource limits (DESIGN.md port map: the gateway has 2 GB and 2 cores)
MemoryMax=2G
CPUQuota=200%
TasksMax=${m.DEFAULT_MAX_TASKS}
LimitNOFILE=65536
LimitNPROC=32768
UMask=0027

${this.security('none', [])}

[Install]
WantedBy=multi-user.target
`;
  }

  /**
   * `gateway.env`: CITADEL_CONFIG_DIR pointing at the installed YAMLs (the gateway reads every
   * model's, for names, ports and fallbacks), the gateway's and the models' variables the operator
   * set when rendering (a model's port moved by MIXTRAL_8X7B_PORT must move for the gateway too).
   */
  gatewayEnvFile(): string {
    const lines = [
      `# Settings for ${GATEWAY_UNIT_NAME}. It reads ${posix.join(this.installedConfigDir(), 'gateway.yaml')} and the`,
      `# model YAMLs in ${this.manager.VLLM_SERVICE_TEMPLATE_PATH}; a variable below overrides its YAML key:`,
      '# only those set when rendering are here.',
    ];
    const operatorEnv = this.options.operatorEnv ?? {};
    for (const [name] of GATEWAY_ENV_KEYS) if (operatorEnv[name] !== undefined) lines.push(envLine(name, operatorEnv[name]));
    for (const id of MODEL_IDS) {
      for (const [suffix] of MODEL_ENV_KEYS) {
        const value = operatorEnv[`${envPrefix(id)}_${suffix}`];
        if (value !== undefined) lines.push(envLine(`${envPrefix(id)}_${suffix}`, value));
      }
    }
    lines.push(envLine('CITADEL_ENV', this.manager.CITADEL_ENV));
    lines.push(envLine('CITADEL_CONFIG_DIR', this.installedConfigDir()));
    return lines.join('\n') + '\n';
  }

  /** tmpfiles.d entry: recreates the log and runtime directories at boot (/run is a tmpfs). */
  tmpfiles(): string {
    const m = this.manager;
    const owner = `${m.VLLM_USER} ${m.VLLM_GROUP}`;
    return `# Citadel LLM Server: directories of the model services, created at boot.
# Type Path Mode User Group Age
d ${m.VLLM_SERVICE_TEMPLATE_PATH} 0755 ${owner} -
d ${m.VLLM_LOG_PATH} 0750 ${owner} -
d ${legacyRunPath(m.VLLM_PID_PATH)} 0755 ${owner} -
`;
  }
}

/** The model services' devices: the pseudo devices and NVIDIA's, nothing else. */
const GPU_DEVICES = `# GPUs: PrivateDevices=yes would replace /dev with a minimal copy without /dev/nvidia*, so it
# stays off; instead the device policy admits only the pseudo devices (/dev/null, /dev/urandom, ...)
# and the NVIDIA character devices (nvidia/nvidia-frontend, nvidiactl, nvidia-uvm, nvidia-caps,
# nvidia-nvswitch). The groups come from /proc/devices when the unit starts, so nvidia-uvm must
# already be loaded then (nvidia-persistenced or modules-load.d): NoNewPrivileges= stops the
# setuid nvidia-modprobe from loading it on demand.
PrivateDevices=no
DevicePolicy=closed
DeviceAllow=char-nvidia* rw
`;

/** A unit that opens no device (the gateway): a private /dev with the pseudo devices only. */
const NO_DEVICES = `# No GPU: a private /dev with the pseudo devices only (/dev/null, /dev/urandom, ...).
PrivateDevices=true
`;

/** tmpfiles.d warns about paths below the legacy /var/run; /run is the same place. */
function legacyRunPath(path: string): string {
  return path === '/var/run' || path.startsWith('/var/run/') ? path.slice('/var'.length) : path;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Up to two decimals, no trailing zeros: 90 → "90", 1.5 → "1.5", 12.345 → "12.35". */
export function formatNumber(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/**
 * One `KEY=value` line of an EnvironmentFile. Plain values are written as they are; others are
 * double-quoted with `\`, `"`, `$` and backquote escaped (systemd and POSIX shells read them alike).
 */
export function envLine(key: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new RenderError(`${key}: a value in an env file cannot contain a line break`);
  if (/^[A-Za-z0-9_./:,@+-]*$/.test(value)) return `${key}=${value}`;
  return `${key}="${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}
