import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCitadelConfig, MODEL_CONFIG_CLASSES } from '../../src/config/config-loader';
import { MODEL_ENV_KEYS } from '../../src/config/env-overrides';
import { ModelServiceConfig } from '../../src/config/model-config';
import { envPrefix, MODEL_IDS, ModelId } from '../../src/config/model-ids';
import { editConfigFile, getPath, HUGE_HOST, load, replaceOnce, TempDirs } from './config-fixtures';

const PREFIXES: Record<ModelId, string> = {
  'mixtral-8x7b': 'MIXTRAL_8X7B_',
  'openchat-3.5': 'OPENCHAT_3_5_',
  'phi-3-mini': 'PHI_3_MINI_',
  'yi-34b': 'YI_34B_',
  // Seed task 1.1's test service: its own prefix, not a bare TEST_.
  test: 'CITADEL_TEST_',
};

/** Every model, the disabled test service included (a disabled model is loaded when named). */
const EVERY_MODEL = { only: [...MODEL_IDS] };

type Change = { env: string; expected: unknown } | ((current: unknown, id: string) => { env: string; expected: unknown });

/** The opposite of a boolean that may be missing (a section the model's YAML does not have). */
const toggle = (defaultValue: boolean): Change => (current) => {
  const now = current === undefined ? defaultValue : current;
  return now ? { env: 'false', expected: false } : { env: 'true', expected: true };
};

/**
 * For each variable suffix: the key it overrides (seed variable → YAML key), a valid value that
 * differs from every shipped model's, and the typed value it must become. Ports are above the
 * port map so nothing clashes.
 */
const CHANGES: Record<string, [path: string, change: Change]> = {
  PORT: ['service.port', { env: '12001', expected: 12001 }],
  HOST: ['service.host', { env: '127.0.0.2', expected: '127.0.0.2' }],
  MEMORY_GB: ['performance.memory_limit_gb', { env: '12.5', expected: 12.5 }],
  CPU_CORES: ['performance.cpu_cores', { env: '3', expected: 3 }],
  MODEL_PATH: ['model.path', { env: '/srv/models/other-model', expected: '/srv/models/other-model' }],
  MODEL_NAME: ['model.name', { env: 'acme/other-model-v2', expected: 'acme/other-model-v2' }],
  MAX_MODEL_LEN: ['model.max_model_len', { env: '1024', expected: 1024 }],
  TENSOR_PARALLEL_SIZE: ['model.tensor_parallel_size', { env: '4', expected: 4 }],
  GPU_MEMORY_UTILIZATION: ['model.gpu_memory_utilization', { env: '0.55', expected: 0.55 }],
  MAX_NUM_BATCHED_TOKENS: ['model.max_num_batched_tokens', { env: '16384', expected: 16384 }],
  MAX_NUM_SEQS: ['model.max_num_seqs', { env: '16', expected: 16 }],
  TARGET_LATENCY_MS: ['performance.target_latency_ms', { env: '1234', expected: 1234 }],
  TARGET_THROUGHPUT_RPS: ['performance.target_throughput_rps', { env: '7.5', expected: 7.5 }],
  SWAP_SPACE: ['performance.swap_space', { env: '4', expected: 4 }],
  ENFORCE_EAGER: ['performance.enforce_eager', { env: '1', expected: 1 }],
  METRICS_PORT: ['monitoring.prometheus_port', { env: '12002', expected: 12002 }],
  HEALTH_CHECK_INTERVAL: ['monitoring.health_check_interval', { env: '45', expected: 45 }],
  STREAMING_ENABLED: ['realtime.streaming_enabled', toggle(true)],
  CONCURRENT_USERS: ['realtime.concurrent_users', { env: '7', expected: 7 }],
  RESPONSE_CHUNK_SIZE: ['realtime.response_chunk_size', { env: '3', expected: 3 }],
  LOW_LATENCY_MODE: ['realtime.low_latency_mode', toggle(true)],
  EFFICIENCY_MODE: ['efficiency.efficiency_mode', toggle(false)],
  MAX_THROUGHPUT_RPS: ['efficiency.max_throughput_rps', { env: '42', expected: 42 }],
  MEMORY_OPTIMIZATION: ['efficiency.memory_optimization', toggle(false)],
  CPU_OPTIMIZATION: ['efficiency.cpu_optimization', toggle(false)],
  ENGINE_MODE: ['engine.mode', { env: 'managed', expected: 'managed' }],
  ENGINE_URLS: ['engine.urls', { env: 'http://10.0.0.5:8000, https://vllm-b.internal:8443/', expected: ['http://10.0.0.5:8000', 'https://vllm-b.internal:8443/'] }],
  VLLM_VERSION: ['engine.vllm.version', { env: '0.18.1', expected: '0.18.1' }],
  VLLM_EXECUTABLE: ['engine.vllm.executable', { env: '/opt/vllm/bin/vllm', expected: '/opt/vllm/bin/vllm' }],
  CONNECT_TIMEOUT_MS: ['engine.timeouts.connect_ms', { env: '1500', expected: 1500 }],
  FIRST_BYTE_TIMEOUT_MS: ['engine.timeouts.first_byte_ms', { env: '90000', expected: 90000 }],
  FIRST_TOKEN_TIMEOUT_MS: ['engine.timeouts.first_token_ms', { env: '15000', expected: 15000 }],
  IDLE_TIMEOUT_MS: ['engine.timeouts.idle_ms', { env: '20000', expected: 20000 }],
  MAX_CONCURRENT_REQUESTS: ['service.max_concurrent_requests', { env: '77', expected: 77 }],
  // Any two other models (a model may not fall back to itself).
  FALLBACKS: ['service.fallbacks', (_current, id) => {
    const others = ['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b'].filter((m) => m !== id).slice(0, 2);
    return { env: others.join(','), expected: others };
  }],
};

/**
 * A section the model's YAML lacks is created by its first variable, and still needs its
 * required keys: these come along so that the variable under test is the only thing judged.
 */
function companions(id: ModelId, path: string, baseline: ModelServiceConfig): Record<string, string> {
  const prefix = PREFIXES[id];
  if (path.startsWith('realtime.') && !baseline.realtime && path !== 'realtime.concurrent_users') return { [`${prefix}CONCURRENT_USERS`]: '5' };
  if (path.startsWith('efficiency.') && !baseline.efficiency && path !== 'efficiency.max_throughput_rps') return { [`${prefix}MAX_THROUGHPUT_RPS`]: '5' };
  return {};
}

describe('per-model environment overrides (the seeds\' variable names)', () => {
  const baseline = load({}, EVERY_MODEL);
  const baselineOf = (id: ModelId) => baseline.model(id) as ModelServiceConfig;

  it('knows every variable the loader knows, each for the same key', () => {
    expect(Object.fromEntries(MODEL_ENV_KEYS.map(([suffix, path]) => [suffix, path]))).toEqual(
      Object.fromEntries(Object.entries(CHANGES).map(([suffix, [path]]) => [suffix, path])),
    );
  });

  it.each(MODEL_IDS.map((id) => [id, PREFIXES[id]]))('%s uses the seeds\' prefix %s', (id, prefix) => {
    expect(`${envPrefix(id)}_`).toBe(prefix);
  });

  const cases = MODEL_IDS.flatMap((id) => Object.entries(CHANGES).map(([suffix, [path, change]]) => ({ id, variable: `${PREFIXES[id]}${suffix}`, path, change })));

  it.each(cases)('$variable sets $path of $id', ({ id, variable, path, change }) => {
    const before = getPath(baselineOf(id), path);
    const { env, expected } = typeof change === 'function' ? change(before, id) : change;
    expect(before).not.toEqual(expected);

    const config = load({ ...companions(id, path, baselineOf(id)), [variable]: env }, EVERY_MODEL);
    const after = config.model(id);
    expect(after).toBeInstanceOf(MODEL_CONFIG_CLASSES[id]);
    expect(getPath(after, path)).toEqual(expected);
    // Only the named model changes.
    for (const other of MODEL_IDS.filter((o) => o !== id)) {
      expect(getPath(config.model(other), path)).toEqual(getPath(baselineOf(other), path));
    }
  });

  describe('booleans accept true/false/1/0', () => {
    it.each([
      ['true', true],
      ['1', true],
      ['TRUE', true],
      ['false', false],
      ['0', false],
      ['False', false],
    ])('PHI_3_MINI_EFFICIENCY_MODE=%s gives %s', (text, expected) => {
      expect(load({ PHI_3_MINI_EFFICIENCY_MODE: text }).model('phi-3-mini')?.efficiency?.efficiency_mode).toBe(expected);
    });

    it.each([
      ['0', false],
      ['1', true],
    ])('OPENCHAT_3_5_STREAMING_ENABLED=%s gives %s', (text, expected) => {
      const config = load({ OPENCHAT_3_5_STREAMING_ENABLED: text });
      expect(config.model('openchat-3.5')?.realtime?.streaming_enabled).toBe(expected);
    });
  });

  describe('ENGINE_URLS', () => {
    it('is a comma-separated list, trimmed, empty items dropped', () => {
      const config = load({ YI_34B_ENGINE_MODE: 'external', YI_34B_ENGINE_URLS: ' http://a.local:8000 ,,http://b.local:8001 ' });
      expect(config.model('yi-34b')?.engine).toMatchObject({ mode: 'external', urls: ['http://a.local:8000', 'http://b.local:8001'] });
    });

    it('empty means no URLs', () => {
      const config = load({ MIXTRAL_8X7B_ENGINE_URLS: 'http://a.local:8000' });
      expect(config.model('mixtral-8x7b')?.engine.urls).toEqual(['http://a.local:8000']);
      expect(load({ MIXTRAL_8X7B_ENGINE_URLS: '' }).model('mixtral-8x7b')?.engine.urls).toEqual([]);
    });
  });

  it('numbers may carry surrounding blanks', () => {
    expect(load({ MIXTRAL_8X7B_MAX_NUM_SEQS: ' 128 ' }).model('mixtral-8x7b')?.model.max_num_seqs).toBe(128);
  });
});

describe('framework (service manager) variables', () => {
  const CASES: Array<[variable: string, env: string, expected: unknown]> = [
    ['CITADEL_ENV', 'production', 'production'],
    ['SERVER_IP', '192.168.10.29', '192.168.10.29'],
    ['SERVER_HOSTNAME', 'hx-llm-server-01', 'hx-llm-server-01'],
    ['VLLM_SERVICE_TEMPLATE_PATH', '/etc/citadel/services', '/etc/citadel/services'],
    ['VLLM_LOG_PATH', '/srv/log/citadel', '/srv/log/citadel'],
    ['VLLM_PID_PATH', '/run/citadel', '/run/citadel'],
    ['VLLM_USER', 'citadel', 'citadel'],
    ['VLLM_GROUP', 'llm-ops', 'llm-ops'],
    ['DEFAULT_MEMORY_LIMIT_GB', '6.5', 6.5],
    ['DEFAULT_CPU_CORES', '3', 3],
    ['DEFAULT_MAX_TASKS', '500', 500],
    ['DEFAULT_RESTART_POLICY', 'on-failure', 'on-failure'],
    ['DEFAULT_RESTART_SEC', '0', 0],
  ];
  const defaults = load().serviceManager as unknown as Record<string, unknown>;

  it('covers every setting', () => {
    expect(CASES.map(([v]) => v).sort()).toEqual(Object.keys(defaults).sort());
  });

  it.each(CASES)('%s=%s', (variable, env, expected) => {
    expect(defaults[variable]).not.toEqual(expected);
    const manager = load({ [variable]: env }).serviceManager as unknown as Record<string, unknown>;
    expect(manager[variable]).toEqual(expected);
  });
});

describe('gateway variables', () => {
  it('CITADEL_GATEWAY_PORT moves the gateway', () => {
    expect(load().gateway.port).toBe(8000);
    expect(load({ CITADEL_GATEWAY_PORT: '9000' }).gateway.port).toBe(9000);
  });

  it('CITADEL_GATEWAY_HOST and CITADEL_GATEWAY_ENABLED', () => {
    expect(load({ CITADEL_GATEWAY_HOST: '127.0.0.1', CITADEL_GATEWAY_ENABLED: 'false' }).gateway).toMatchObject({ host: '127.0.0.1', enabled: false });
  });
});

describe('where the environment comes from', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.cleanup());

  it('reads a .env file in the working directory', () => {
    const cwd = dirs.empty();
    writeFileSync(join(cwd, '.env'), ['# seed-style .env', 'MIXTRAL_8X7B_MAX_NUM_SEQS=128', 'VLLM_USER=citadel', 'CITADEL_GATEWAY_PORT=9100', ''].join('\n'));
    const config = load({}, { cwd });
    expect(config.model('mixtral-8x7b')?.model.max_num_seqs).toBe(128);
    expect(config.serviceManager.VLLM_USER).toBe('citadel');
    expect(config.gateway.port).toBe(9100);
  });

  it('lets the process environment win over .env', () => {
    const cwd = dirs.empty();
    writeFileSync(join(cwd, '.env'), 'PHI_3_MINI_TARGET_LATENCY_MS=400\nPHI_3_MINI_MAX_NUM_SEQS=16\n');
    const config = load({ PHI_3_MINI_TARGET_LATENCY_MS: '450' }, { cwd });
    expect(config.model('phi-3-mini')?.performance.target_latency_ms).toBe(450);
    expect(config.model('phi-3-mini')?.model.max_num_seqs).toBe(16);
  });

  it('ignores a .env file somewhere other than the working directory', () => {
    const cwd = dirs.empty();
    const elsewhere = dirs.empty();
    writeFileSync(join(elsewhere, '.env'), 'MIXTRAL_8X7B_MAX_NUM_SEQS=128\n');
    expect(load({}, { cwd }).model('mixtral-8x7b')?.model.max_num_seqs).toBe(256);
  });

  describe('CITADEL_CONFIG_DIR', () => {
    let copy: string;
    beforeAll(() => {
      copy = dirs.configCopy();
      editConfigFile(copy, 'services/yi-34b.yaml', replaceOnce('target_latency_ms: 2500', 'target_latency_ms: 3100'));
    });

    it('points the loader at another folder', () => {
      const config = loadCitadelConfig({ cwd: dirs.empty(), env: { CITADEL_CONFIG_DIR: copy }, hostMemoryBytes: HUGE_HOST });
      expect(config.configDir).toBe(copy);
      expect(config.model('yi-34b')?.performance.target_latency_ms).toBe(3100);
    });

    it('may be relative to the working directory and may come from .env', () => {
      const cwd = join(copy, '..');
      writeFileSync(join(cwd, '.env'), 'CITADEL_CONFIG_DIR=config\n');
      const config = loadCitadelConfig({ cwd, env: {}, hostMemoryBytes: HUGE_HOST });
      expect(config.configDir).toBe(copy);
      expect(config.model('yi-34b')?.performance.target_latency_ms).toBe(3100);
    });

    it('gives way to an explicit configDir', () => {
      const config = load({ CITADEL_CONFIG_DIR: copy });
      expect(config.model('yi-34b')?.performance.target_latency_ms).toBe(2500);
    });

    it('still lets variables override the other folder\'s values', () => {
      const config = loadCitadelConfig({ cwd: dirs.empty(), env: { CITADEL_CONFIG_DIR: copy, YI_34B_TARGET_LATENCY_MS: '2700' }, hostMemoryBytes: HUGE_HOST });
      expect(config.model('yi-34b')?.performance.target_latency_ms).toBe(2700);
    });
  });
});

describe('DEFAULT_MEMORY_LIMIT_GB / DEFAULT_CPU_CORES: the allocation of a model that sets none', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.cleanup());

  it('fill performance.memory_limit_gb and cpu_cores when the YAML leaves them out (defaults 4 GB, 2 cores); a model value or its variable wins', () => {
    const copy = dirs.configCopy();
    editConfigFile(copy, 'services/yi-34b.yaml', (text) => replaceOnce('  cpu_cores: 8\n', '')(replaceOnce('  memory_limit_gb: 80\n', '')(text)));
    const at = (env: Record<string, string>) => loadCitadelConfig({ cwd: dirs.empty(), env: { CITADEL_CONFIG_DIR: copy, ...env }, hostMemoryBytes: HUGE_HOST });
    expect(at({}).model('yi-34b')?.performance).toMatchObject({ memory_limit_gb: 4, cpu_cores: 2 });
    expect(at({ DEFAULT_MEMORY_LIMIT_GB: '48', DEFAULT_CPU_CORES: '6' }).model('yi-34b')?.performance).toMatchObject({ memory_limit_gb: 48, cpu_cores: 6 });
    expect(at({ DEFAULT_MEMORY_LIMIT_GB: '48', YI_34B_CPU_CORES: '3' }).model('yi-34b')?.performance).toMatchObject({ memory_limit_gb: 48, cpu_cores: 3 });
    // Models that set their own keep them.
    expect(at({ DEFAULT_MEMORY_LIMIT_GB: '48' }).model('mixtral-8x7b')?.performance.memory_limit_gb).toBe(90);
  });
});
