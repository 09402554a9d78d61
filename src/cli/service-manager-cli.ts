import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { parseFlags } from './parse-flags';
import { UsageError } from './usage-error';
import { CitadelConfig } from '../config/citadel-config';
import { loadCitadelConfig } from '../config/config-loader';
import { isModelId, MODEL_IDS } from '../config/model-ids';
import { HostProbes } from '../services/core/service-manager/host-probes';
import { downloadModels } from './model-download-command';
import { CHECKSUM_MANIFEST, ModelVerifier } from '../services/core/service-manager/model-verifier';
import { PreStartValidator } from '../services/core/service-manager/pre-start-validator';
import { Ownership, ServiceManager, ServiceStatus } from '../services/core/service-manager/service-manager';
import { DryRunSystemctlRunner, SystemctlResult, SystemctlRunner } from '../services/core/service-manager/systemctl-runner';
import { hiddenFromUnits, RenderError } from '../services/core/service-manager/unit-renderer';

export const SERVICE_MANAGER_COMMANDS = ['render', 'install', 'start', 'stop', 'restart', 'status', 'enable', 'validate', 'verify-model', 'download'] as const;
export type ServiceManagerCommand = (typeof SERVICE_MANAGER_COMMANDS)[number];

/** The project this program was installed from (src/cli/ or dist/cli/ sit two levels below it). */
const PROJECT_DIR = resolve(__dirname, '..', '..');

export const SERVICE_MANAGER_USAGE = `Usage: citadel-llm services <command> <model|all> [options]

The model services as systemd units (citadel-llm@<model>.service, citadel-llm.target).
<model> is one of ${MODEL_IDS.join(', ')}; "all" means every enabled model.

Commands:
  render <model|all> --root DIR [--app DIR] [--node PATH]
                         write the unit template, the model's drop-ins and env file (and for
                         "all" the target) under DIR as they sit on a host:
                         DIR/etc/systemd/system/..., DIR/opt/citadel/config/services/...
  install <model|all> [--dry-run] [--app DIR] [--node PATH]
                         create the service directories (owned by VLLM_USER:VLLM_GROUP), install
                         those files and run systemctl daemon-reload; needs root
  start|stop|restart <model|all> [--dry-run]
                         systemctl start|stop|restart the model's unit ("all": citadel-llm.target)
  enable <model|all> [--dry-run]
                         systemctl enable the model's unit ("all": citadel-llm.target)
  status <model|all> [--dry-run]
                         state, main pid, restarts and memory of the unit(s)
  validate <model>       the pre-start checks (the unit's ExecStartPre): one PASS, FAIL or SKIP
                         line per check; exit 1 on any FAIL
  verify-model <model>   check the model's files against its ${CHECKSUM_MANIFEST}; exit 1 on any
                         changed or missing file
  download <model|all> [--revision REV] [--hub-url URL] [--token-file FILE]
                       [--include GLOB]... [--exclude GLOB]...
                         fetch the model's Hugging Face repository (model.name) into model.path,
                         resuming partial files, and write ${CHECKSUM_MANIFEST} from the Hub's SHA-256s;
                         token: --token-file, HF_TOKEN, HF_TOKEN_PATH or $HF_HOME/token

Options:
  --config-dir DIR       configuration folder (default: $CITADEL_CONFIG_DIR or the package's config/)
  --root DIR             render: the folder standing for /
  --app DIR              the installed project the units run: DIR/bin/citadel-llm on Node.js
                         DIR/node_modules/node/bin/node (default: this project, ${PROJECT_DIR})
  --node PATH            another Node.js 24 binary to run it with
  --dry-run              print the actions and systemctl commands instead of running them
  -h, --help             this help`;

/** What the commands use from the outside world; tests replace parts of it. */
export interface ServiceManagerCliDeps {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /** Runs systemctl when not --dry-run. */
  runner?: SystemctlRunner;
  isRoot?: () => boolean;
  /** install: the folder standing for / (default /). */
  installRoot?: string;
  resolveOwner?: (user: string, group: string) => Promise<Ownership>;
  probes?: HostProbes;
}

const FLAGS = {
  'config-dir': { type: 'string' },
  root: { type: 'string' },
  app: { type: 'string' },
  node: { type: 'string' },
  'dry-run': { type: 'boolean' },
  revision: { type: 'string' },
  'hub-url': { type: 'string' },
  'token-file': { type: 'string' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
} as const;

/** Which flags each command accepts (besides --config-dir and --help). */
const ALLOWED: Record<ServiceManagerCommand, readonly string[]> = {
  render: ['root', 'app', 'node'],
  install: ['dry-run', 'app', 'node'],
  start: ['dry-run'],
  stop: ['dry-run'],
  restart: ['dry-run'],
  status: ['dry-run'],
  enable: ['dry-run'],
  validate: [],
  'verify-model': [],
  download: ['revision', 'hub-url', 'token-file', 'include', 'exclude'],
};

/**
 * Runs `citadel-llm services <sub> ...` for the service manager's commands and resolves the exit
 * code: 0 ok, 1 failed (a check, a systemctl call, a checksum), 2 usage (a UsageError is thrown).
 */
export async function runServiceManagerCommand(sub: string, argv: string[], deps: ServiceManagerCliDeps = {}): Promise<number> {
  const out = deps.stdout ?? ((text: string) => process.stdout.write(text));
  const err = deps.stderr ?? ((text: string) => process.stderr.write(text));
  const println = (line: string) => out(line + '\n');
  const eprintln = (line: string) => err(line + '\n');

  if (!(SERVICE_MANAGER_COMMANDS as readonly string[]).includes(sub)) {
    throw new UsageError(`unknown services command "${sub}"`, SERVICE_MANAGER_USAGE);
  }
  const command = sub as ServiceManagerCommand;
  const { values, positionals } = parseFlags(argv, FLAGS, SERVICE_MANAGER_USAGE);
  if (values.help) {
    println(SERVICE_MANAGER_USAGE);
    return 0;
  }
  for (const flag of Object.keys(FLAGS)) {
    if (flag !== 'config-dir' && values[flag as keyof typeof values] !== undefined && !ALLOWED[command].includes(flag)) {
      throw new UsageError(`services ${command} does not take --${flag}`, SERVICE_MANAGER_USAGE);
    }
  }
  const configDir = values['config-dir'] as string | undefined;
  const rootFlag = values.root as string | undefined;
  const app = (values.app as string | undefined) ?? PROJECT_DIR;
  const node = values.node as string | undefined;
  const dryRun = values['dry-run'] === true;
  const model = modelArgument(command, positionals);
  const cwd = deps.cwd ?? process.cwd();
  const load = () =>
    loadCitadelConfig({
      configDir,
      env: deps.env ?? process.env,
      cwd,
      only: model === 'all' ? undefined : [model],
    });
  const showWarnings = (config: CitadelConfig) => config.warnings.forEach((w) => eprintln(`citadel-llm: warning: ${w}`));

  if (command === 'validate') {
    let config: CitadelConfig;
    try {
      config = load();
    } catch (error) {
      println(PreStartValidator.format(PreStartValidator.configFailure(error)));
      return 1;
    }
    showWarnings(config);
    const validator = new PreStartValidator({ probes: deps.probes, verifier: new ModelVerifier({ progress: eprintln }) });
    const results = await validator.validate(config.models[0], config.serviceManager, (r) => println(PreStartValidator.format(r)));
    return PreStartValidator.failed(results) ? 1 : 0;
  }

  // The configuration's warnings are for validate (above) and serve only.
  const config = load();

  if (command === 'verify-model') {
    const dir = config.models[0].model.path;
    try {
      await access(join(dir, CHECKSUM_MANIFEST));
    } catch {
      eprintln(`no ${CHECKSUM_MANIFEST} in ${dir}: nothing to verify against`);
      return 1;
    }
    const report = await new ModelVerifier({ progress: eprintln }).verify(dir);
    ModelVerifier.formatReport(report).forEach(println);
    return report.ok ? 0 : 1;
  }

  for (const [flag, path] of [['app', app], ['node', node]] as const) {
    if (path !== undefined && !isAbsolute(path)) throw new UsageError(`--${flag} must be an absolute path (got ${path})`, SERVICE_MANAGER_USAGE);
  }
  if (command === 'download') {
    return downloadModels(model === 'all' ? config.models.filter((m) => m.service.enabled) : config.models, {
      revision: values.revision as string | undefined,
      hubUrl: values['hub-url'] as string | undefined,
      tokenFile: values['token-file'] as string | undefined,
      include: values.include as string[] | undefined,
      exclude: values.exclude as string[] | undefined,
      env: deps.env ?? process.env,
      println,
      eprintln,
    });
  }

  let manager: ServiceManager;
  try {
    manager = new ServiceManager(config, {
      runner: dryRun ? new DryRunSystemctlRunner(println) : deps.runner,
      render: { app, node, operatorEnv: deps.env ?? process.env },
      resolveOwner: deps.resolveOwner,
    });
  } catch (error) {
    if (error instanceof RenderError) throw new UsageError(error.message, SERVICE_MANAGER_USAGE);
    throw error;
  }

  if (command === 'render' || command === 'install') {
    const { app: installed, node: runtime } = manager.renderer.runtime;
    if (hiddenFromUnits(installed)) {
      eprintln(`warning: ${installed} is in a home directory, which the units hide (ProtectHome=true): install the project elsewhere (e.g. /opt/citadel/app) and run it from there, or pass --app`);
    }
    if (command === 'install' && !dryRun && !(await isExecutable(runtime))) {
      eprintln(`no Node.js at ${runtime}: run npm ci in ${installed} first, or pass --node`);
      return 1;
    }
  }

  switch (command) {
    case 'render': {
      if (!rootFlag) throw new UsageError('services render needs --root DIR (the folder standing for /)', SERVICE_MANAGER_USAGE);
      const root = resolve(cwd, rootFlag);
      const files = await manager.render(model, root);
      for (const f of files) println(`wrote ${join(root, f.path)}`);
      return 0;
    }
    case 'install': {
      const isRoot = deps.isRoot ?? (() => process.getuid?.() === 0);
      if (!dryRun && !isRoot()) {
        eprintln('services install needs root (run it with sudo), or add --dry-run to see what it would do');
        return 1;
      }
      await manager.install(model, { dryRun, print: println, rootDir: deps.installRoot });
      if (!dryRun) println(`installed ${manager.units(model).join(' ')}; start with: citadel-llm services start ${model}`);
      return 0;
    }
    case 'status': {
      const { result, statuses } = await manager.status(model);
      if (dryRun) return 0;
      if (result.code !== 0) return reportFailure(result, eprintln);
      println(formatStatusTable(statuses));
      // Where to look next: the units log to the journal only (README, "Logs and PID files").
      for (const s of statuses.filter((s) => s.unit.startsWith('citadel-llm@'))) {
        println(`logs ${s.unit}: journalctl -u ${s.unit} (identifier ${s.unit.replace(/^citadel-llm@(.*)\.service$/, 'citadel-llm-$1')}); pid: systemctl show -p MainPID ${s.unit}`);
      }
      return statuses.length > 0 && statuses.every((s) => s.active === 'active') ? 0 : 1;
    }
    default: {
      const result = await manager[command](model);
      if (result.stdout) out(result.stdout);
      if (result.code !== 0) return reportFailure(result, eprintln);
      if (result.stderr) err(result.stderr);
      return 0;
    }
  }
}

function modelArgument(command: ServiceManagerCommand, positionals: string[]): string {
  if (positionals.length !== 1) {
    const what = command === 'validate' || command === 'verify-model' ? '<model>' : '<model|all>';
    throw new UsageError(`services ${command} takes one ${what} (got ${positionals.length ? positionals.join(' ') : 'none'})`, SERVICE_MANAGER_USAGE);
  }
  const [model] = positionals;
  if (model === 'all' && command !== 'validate' && command !== 'verify-model') return model;
  if (!isModelId(model)) {
    throw new UsageError(`unknown model "${model}": expected one of ${MODEL_IDS.join(', ')}${command === 'validate' || command === 'verify-model' ? '' : ' or all'}`, SERVICE_MANAGER_USAGE);
  }
  return model;
}

function reportFailure(result: SystemctlResult, eprintln: (line: string) => void): number {
  if (result.stderr.trim()) eprintln(result.stderr.trimEnd());
  eprintln(`systemctl ${result.args.join(' ')} failed (exit ${result.code})`);
  return 1;
}

export function formatStatusTable(statuses: ServiceStatus[]): string {
  const header = ['UNIT', 'LOAD', 'ACTIVE', 'SUB', 'PID', 'RESTARTS', 'MEMORY', 'SINCE'];
  const rows = statuses.map((s) => [
    s.unit,
    s.load,
    s.active,
    s.sub,
    s.mainPid ? String(s.mainPid) : '-',
    String(s.restarts),
    s.memoryCurrent === undefined ? '-' : `${mib(s.memoryCurrent)}${s.memoryMax === undefined ? '' : ` / ${mib(s.memoryMax)}`}`,
    s.since ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((cols) => cols.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

function mib(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
