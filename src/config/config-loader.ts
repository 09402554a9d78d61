import { existsSync, readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseEnvFile } from 'dotenv';
import { parse as parseYaml } from 'yaml';
import { SERVICE_MANAGER_NUMERIC_KEYS, ServiceManagerConfig } from './service-manager.config';
import { CitadelConfig } from './citadel-config';
import { ConfigProblem, ConfigValidationError } from './config-problem';
import { applyEnvList, applyModelEnv, coerceEnvValue, GATEWAY_ENV_KEYS } from './env-overrides';
import { GatewayConfig } from './gateway-config';
import { digestKey, SECURITY_ENV_KEYS, SecurityConfig } from './security-config';
import { isModelId, MODEL_IDS, ModelId } from './model-ids';
import { ModelServiceConfig } from './model-config';
import { MODEL_REGISTRY } from './model-registry';
import { findNameClashes } from './model-names';
import { findPortClashes } from './port-clashes';
import { validateInto } from './validate-class';

/** The typed class of each model (names from the seeds), from the model registry. */
export const MODEL_CONFIG_CLASSES = Object.fromEntries(MODEL_REGISTRY.map((entry) => [entry.id, entry.config])) as Record<ModelId, new () => ModelServiceConfig>;

export interface LoadOptions {
  /** Folder holding `services/<model>.yaml` and `gateway.yaml`; default `$CITADEL_CONFIG_DIR` or `./config`. */
  configDir?: string;
  /** The environment; default `process.env`. A `.env` file in `cwd` fills in what it does not set. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Models to load (default: every enabled one). */
  only?: string[];
  /** Host memory in bytes for the allocation warning (default: this machine's). */
  hostMemoryBytes?: number;
}

/** The package's own config folder, used when nothing else is named. */
export const DEFAULT_CONFIG_DIR = resolve(__dirname, '..', '..', 'config');

/**
 * Reads and validates everything once, at boot. Throws ConfigValidationError listing every
 * problem (file or variable, key, value, rule); returns warnings that do not stop the boot.
 */
export function loadCitadelConfig(options: LoadOptions = {}): CitadelConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = withEnvFile(options.env ?? process.env, cwd);
  const configDir = resolve(cwd, options.configDir ?? env.CITADEL_CONFIG_DIR ?? DEFAULT_CONFIG_DIR);
  const problems: ConfigProblem[] = [];
  const display = (file: string) => relative(cwd, file) || file;

  for (const id of options.only ?? []) {
    if (!(MODEL_IDS as readonly string[]).includes(id)) {
      problems.push({ source: 'command line', key: 'model', value: id, rule: `must be one of ${MODEL_IDS.join(', ')}` });
    }
  }

  const manager = validateInto(ServiceManagerConfig, serviceManagerPlain(env), (key) => `${key} (environment)`);
  problems.push(...manager.problems);

  const models: ModelServiceConfig[] = [];
  /** Where each model's keys came from (its file, or the variable that overrode one). */
  const sources = new Map<string, (key: string) => string>();
  for (const id of MODEL_IDS) {
    const file = join(configDir, 'services', `${id}.yaml`);
    if (!existsSync(file)) {
      problems.push({ source: display(file), key: '(file)', value: undefined, rule: 'the model config file is missing' });
      continue;
    }
    const raw = readYaml(file, problems, display(file));
    if (!raw) continue;
    const overrides = applyModelEnv(id, raw, env);
    // A model that sets no memory or CPU allocation gets the framework's (seed task 1.1).
    const performance = (raw.performance ??= {}) as Record<string, unknown>;
    if (performance && typeof performance === 'object') {
      if (performance.memory_limit_gb === undefined) performance.memory_limit_gb = manager.value.DEFAULT_MEMORY_LIMIT_GB;
      if (performance.cpu_cores === undefined) performance.cpu_cores = manager.value.DEFAULT_CPU_CORES;
    }
    sources.set(id, sourceFor(display(file), overrides));
    const { value, problems: found } = validateInto(MODEL_CONFIG_CLASSES[id], raw, sources.get(id)!);
    problems.push(...found);
    if (found.length === 0 && value.service.name !== id) {
      problems.push({ source: display(file), key: 'service.name', value: value.service.name, rule: `must be "${id}", the file's model id` });
    }
    // Checked here, not by a decorator: the config classes cannot import the registry that lists them.
    const fallbacks: unknown = value.service?.fallbacks;
    if (Array.isArray(fallbacks) && fallbacks.every((f) => typeof f === 'string') && !fallbacks.every(isModelId)) {
      problems.push({ source: sources.get(id)!('service.fallbacks'), key: 'service.fallbacks', value: value.service.fallbacks, rule: `must be a list of model ids (${MODEL_IDS.join(', ')})` });
    }
    if (found.length === 0 && value.service.fallbacks.includes(id)) {
      problems.push({ source: sources.get(id)!('service.fallbacks'), key: 'service.fallbacks', value: value.service.fallbacks, rule: 'must not name the model itself' });
    }
    // A chat template file relative to the config folder (where the shipped ones are) becomes an
    // absolute path, so that vLLM, started elsewhere, opens the same file. As vLLM reads the
    // value (chat_utils.py), one that names no file and holds no "{", "}" or newline is a problem.
    const template = value.engine?.vllm?.chat_template;
    if (found.length === 0 && typeof template === 'string') {
      const path = isAbsolute(template) ? template : join(configDir, template);
      if (existsSync(path)) value.engine.vllm.chat_template = path;
      else if (!/[{}\n]/.test(template)) {
        problems.push({ source: sources.get(id)!('engine.vllm.chat_template'), key: 'engine.vllm.chat_template', value: template, rule: `must be a template file (absolute, or relative to ${display(configDir)}) or a template; no such file` });
      }
    }
    const wanted = options.only?.length ? options.only.includes(id) : value.service?.enabled !== false;
    if (wanted) models.push(value);
  }

  const gatewayFile = join(configDir, 'gateway.yaml');
  const gatewayRaw = (existsSync(gatewayFile) ? readYaml(gatewayFile, problems, display(gatewayFile))?.gateway : undefined) ?? {};
  if (gatewayRaw.service_key !== undefined) {
    problems.push({ source: display(gatewayFile), key: 'gateway.service_key', value: '(hidden)', rule: 'is a secret: set CITADEL_MODEL_SERVICE_KEY or CITADEL_MODEL_SERVICE_KEY_FILE instead' });
  }
  gatewayRaw.service_key = readServiceKey(env, cwd, problems);
  const gatewayOverrides = applyEnvList(GATEWAY_ENV_KEYS, gatewayRaw, env);
  sources.set('gateway', sourceFor(display(gatewayFile), gatewayOverrides));
  const gateway = validateInto(GatewayConfig, gatewayRaw, sources.get('gateway')!);
  problems.push(...gateway.problems.map((p) => ({ ...p, key: `gateway.${p.key}` })));
  if (gateway.problems.length === 0) problems.push(...serviceUrlProblems(gateway.value, display(gatewayFile)));
  // `serve <model>` runs one model without the gateway (the systemd unit's shape).
  if (options.only?.length) gateway.value.enabled = false;


  const securityPlain: Record<string, unknown> = { api_key_digests: readApiKeys(env, cwd, problems).map(digestKey) };
  const securityOverrides = applyEnvList(SECURITY_ENV_KEYS, securityPlain, env);
  const security = validateInto(SecurityConfig, securityPlain, sourceFor('(defaults)', securityOverrides));
  problems.push(...security.problems);

  problems.push(...findPortClashes(models, gateway.value, (owner, key) => sources.get(owner)?.(key) ?? `${owner} (${key})`));
  problems.push(...findNameClashes(models, (owner, key) => sources.get(owner)?.(key) ?? `${owner} (${key})`));
  if (problems.length) throw new ConfigValidationError(problems);

  const warnings: string[] = [];
  const totalGb = models.reduce((sum, m) => sum + m.performance.memory_limit_gb, 0);
  const hostGb = (options.hostMemoryBytes ?? totalmem()) / 1024 ** 3;
  if (totalGb > hostGb) {
    warnings.push(
      `the enabled models are allocated ${totalGb} GB of memory (${models.map((m) => `${m.id} ${m.performance.memory_limit_gb}`).join(', ')}) but this host has ${hostGb.toFixed(1)} GB`,
    );
  }
  return new CitadelConfig(configDir, models, gateway.value, manager.value, warnings, security.value);
}

function readYaml(file: string, problems: ConfigProblem[], source: string): Record<string, any> | undefined {
  try {
    const parsed = parseYaml(readFileSync(file, 'utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, any>;
    problems.push({ source, key: '(file)', value: parsed, rule: 'must be a YAML mapping' });
  } catch (error) {
    problems.push({ source, key: '(file)', value: undefined, rule: `is not valid YAML: ${(error as Error).message.split('\n')[0]}` });
  }
  return undefined;
}

function sourceFor(file: string, overrides: { variable: string; path: string }[]): (key: string) => string {
  return (key) => {
    const hit = overrides.find((o) => o.path === key || key.startsWith(o.path + '.'));
    return hit ? `${hit.variable} (environment)` : file;
  };
}

/** API keys from CITADEL_API_KEYS (comma-separated) and CITADEL_API_KEY_FILE (one per line). */
function readApiKeys(env: NodeJS.ProcessEnv, cwd: string, problems: ConfigProblem[]): string[] {
  const keys = (env.CITADEL_API_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  const file = env.CITADEL_API_KEY_FILE;
  if (file) {
    try {
      keys.push(...readFileSync(resolve(cwd, file), 'utf8').split('\n').map((k) => k.trim()).filter((k) => k && !k.startsWith('#')));
    } catch (error) {
      problems.push({ source: 'CITADEL_API_KEY_FILE (environment)', key: 'CITADEL_API_KEY_FILE', value: file, rule: `must be a readable file (${(error as NodeJS.ErrnoException).code})` });
    }
  }
  return keys;
}

/** The key the gateway sends to model services: CITADEL_MODEL_SERVICE_KEY, or the first line of CITADEL_MODEL_SERVICE_KEY_FILE. */
function readServiceKey(env: NodeJS.ProcessEnv, cwd: string, problems: ConfigProblem[]): string {
  const file = env.CITADEL_MODEL_SERVICE_KEY_FILE;
  if (file) {
    try {
      return readFileSync(resolve(cwd, file), 'utf8').split('\n').map((k) => k.trim()).find((k) => k && !k.startsWith('#')) ?? '';
    } catch (error) {
      problems.push({ source: 'CITADEL_MODEL_SERVICE_KEY_FILE (environment)', key: 'CITADEL_MODEL_SERVICE_KEY_FILE', value: file, rule: `must be a readable file (${(error as NodeJS.ErrnoException).code})` });
    }
  }
  return (env.CITADEL_MODEL_SERVICE_KEY ?? '').trim();
}

/** `gateway.services`: model ids to non-empty lists of http(s) URLs (one URL alone is taken as a list of one). */
function serviceUrlProblems(gateway: GatewayConfig, source: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [id, value] of Object.entries(gateway.services)) {
    const key = `gateway.services.${id}`;
    if (!isModelId(id)) {
      problems.push({ source, key, value: id, rule: `must be a model id (${MODEL_IDS.join(', ')})` });
      continue;
    }
    const urls: unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
    if (urls.length === 0) problems.push({ source, key, value, rule: 'must be a URL or a non-empty list of URLs' });
    for (const url of urls) if (!isHttpUrl(url)) problems.push({ source, key, value: url, rule: 'must be an http:// or https:// URL' });
    gateway.services[id] = urls as string[];
  }
  return problems;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.pathname.replace(/\/+$/, '') === '' && !url.search;
  } catch {
    return false;
  }
}

/** process.env wins over `.env`, as with dotenv. */
function withEnvFile(env: NodeJS.ProcessEnv, cwd: string): NodeJS.ProcessEnv {
  const file = join(cwd, '.env');
  if (!existsSync(file)) return env;
  return { ...parseEnvFile(readFileSync(file)), ...env };
}

function serviceManagerPlain(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const key of Object.keys(new ServiceManagerConfig())) {
    const value = env[key];
    if (value === undefined) continue;
    plain[key] = (SERVICE_MANAGER_NUMERIC_KEYS as readonly string[]).includes(key) ? coerceEnvValue(value, 'number') : value;
  }
  return plain;
}
