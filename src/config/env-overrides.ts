import { envPrefix } from './model-ids';

type Kind = 'int' | 'number' | 'bool' | 'string' | 'list';

/**
 * The seeds' per-model environment variables (`<PREFIX>_<SUFFIX>`, e.g. `MIXTRAL_8X7B_PORT`)
 * and the YAML key each one overrides. Every variable in the seeds' `.env` blocks is here;
 * ENGINE_* are ours.
 */
export const MODEL_ENV_KEYS: ReadonlyArray<readonly [suffix: string, path: string, kind: Kind]> = [
  ['PORT', 'service.port', 'int'],
  ['HOST', 'service.host', 'string'],
  ['MEMORY_GB', 'performance.memory_limit_gb', 'number'],
  ['CPU_CORES', 'performance.cpu_cores', 'number'],
  ['MODEL_PATH', 'model.path', 'string'],
  ['MODEL_NAME', 'model.name', 'string'],
  ['MAX_MODEL_LEN', 'model.max_model_len', 'int'],
  ['TENSOR_PARALLEL_SIZE', 'model.tensor_parallel_size', 'int'],
  ['GPU_MEMORY_UTILIZATION', 'model.gpu_memory_utilization', 'number'],
  ['MAX_NUM_BATCHED_TOKENS', 'model.max_num_batched_tokens', 'int'],
  ['MAX_NUM_SEQS', 'model.max_num_seqs', 'int'],
  ['TARGET_LATENCY_MS', 'performance.target_latency_ms', 'int'],
  ['TARGET_THROUGHPUT_RPS', 'performance.target_throughput_rps', 'number'],
  ['SWAP_SPACE', 'performance.swap_space', 'number'],
  ['ENFORCE_EAGER', 'performance.enforce_eager', 'int'],
  ['METRICS_PORT', 'monitoring.prometheus_port', 'int'],
  ['HEALTH_CHECK_INTERVAL', 'monitoring.health_check_interval', 'int'],
  ['STREAMING_ENABLED', 'realtime.streaming_enabled', 'bool'],
  ['CONCURRENT_USERS', 'realtime.concurrent_users', 'int'],
  ['RESPONSE_CHUNK_SIZE', 'realtime.response_chunk_size', 'int'],
  ['LOW_LATENCY_MODE', 'realtime.low_latency_mode', 'bool'],
  ['EFFICIENCY_MODE', 'efficiency.efficiency_mode', 'bool'],
  ['MAX_THROUGHPUT_RPS', 'efficiency.max_throughput_rps', 'number'],
  ['MEMORY_OPTIMIZATION', 'efficiency.memory_optimization', 'bool'],
  ['CPU_OPTIMIZATION', 'efficiency.cpu_optimization', 'bool'],
  ['ENGINE_MODE', 'engine.mode', 'string'],
  ['ENGINE_URLS', 'engine.urls', 'list'],
  ['VLLM_VERSION', 'engine.vllm.version', 'string'],
  ['VLLM_EXECUTABLE', 'engine.vllm.executable', 'string'],
  ['CONNECT_TIMEOUT_MS', 'engine.timeouts.connect_ms', 'int'],
  ['FIRST_BYTE_TIMEOUT_MS', 'engine.timeouts.first_byte_ms', 'int'],
  ['FIRST_TOKEN_TIMEOUT_MS', 'engine.timeouts.first_token_ms', 'int'],
  ['IDLE_TIMEOUT_MS', 'engine.timeouts.idle_ms', 'int'],
  ['MAX_CONCURRENT_REQUESTS', 'service.max_concurrent_requests', 'int'],
  ['FALLBACKS', 'service.fallbacks', 'list'],
];

/** The gateway's variables (ours). */
export const GATEWAY_ENV_KEYS: ReadonlyArray<readonly [name: string, path: string, kind: Kind]> = [
  ['CITADEL_GATEWAY_PORT', 'port', 'int'],
  ['CITADEL_GATEWAY_HOST', 'host', 'string'],
  ['CITADEL_GATEWAY_ENABLED', 'enabled', 'bool'],
];

/**
 * Converts an environment string to the key's type. A string that does not convert is kept as
 * it is, so validation reports it with the variable's name and the rule it breaks.
 */
export function coerceEnvValue(raw: string, kind: Kind): unknown {
  const text = raw.trim();
  switch (kind) {
    case 'int':
    case 'number':
      return text !== '' && Number.isFinite(Number(text)) ? Number(text) : raw;
    case 'bool':
      if (/^(true|1|yes|on)$/i.test(text)) return true;
      if (/^(false|0|no|off)$/i.test(text)) return false;
      return raw;
    case 'list':
      return text === '' ? [] : text.split(',').map((s) => s.trim()).filter(Boolean);
    default:
      return raw;
  }
}

export interface AppliedOverride {
  variable: string;
  path: string;
}

/** Writes the model's overrides into `raw` (the parsed YAML) and says which keys came from where. */
export function applyModelEnv(id: string, raw: Record<string, any>, env: NodeJS.ProcessEnv): AppliedOverride[] {
  const prefix = envPrefix(id);
  const applied: AppliedOverride[] = [];
  for (const [suffix, path, kind] of MODEL_ENV_KEYS) {
    const variable = `${prefix}_${suffix}`;
    const value = env[variable];
    if (value === undefined) continue;
    setPath(raw, path, coerceEnvValue(value, kind));
    applied.push({ variable, path });
  }
  return applied;
}

export function applyEnvList(
  keys: ReadonlyArray<readonly [string, string, Kind]>,
  raw: Record<string, any>,
  env: NodeJS.ProcessEnv,
): AppliedOverride[] {
  const applied: AppliedOverride[] = [];
  for (const [variable, path, kind] of keys) {
    const value = env[variable];
    if (value === undefined) continue;
    setPath(raw, path, coerceEnvValue(value, kind));
    applied.push({ variable, path });
  }
  return applied;
}

function setPath(target: Record<string, any>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part];
  }
  node[parts[parts.length - 1]] = value;
}
