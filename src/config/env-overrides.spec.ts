import { applyEnvList, applyModelEnv, coerceEnvValue, GATEWAY_ENV_KEYS, MODEL_ENV_KEYS } from './env-overrides';
import { envPrefix } from './model-ids';

describe('coerceEnvValue', () => {
  it.each([
    ['42', 'int', 42],
    [' 42 ', 'int', 42],
    ['0.9', 'number', 0.9],
    ['-1', 'int', -1],
    ['1e3', 'number', 1000],
    ['abc', 'int', 'abc'],
    ['', 'number', ''],
    ['   ', 'int', '   '],
    ['Infinity', 'number', 'Infinity'],
    ['true', 'bool', true],
    ['1', 'bool', true],
    ['YES', 'bool', true],
    ['on', 'bool', true],
    ['false', 'bool', false],
    ['0', 'bool', false],
    ['No', 'bool', false],
    ['off', 'bool', false],
    ['maybe', 'bool', 'maybe'],
    ['a, b ,,c', 'list', ['a', 'b', 'c']],
    ['', 'list', []],
    [' keep blanks ', 'string', ' keep blanks '],
  ] as const)('%j as %s gives %j', (raw, kind, expected) => {
    expect(coerceEnvValue(raw, kind)).toEqual(expected);
  });
});

describe('envPrefix', () => {
  it.each([
    ['mixtral-8x7b', 'MIXTRAL_8X7B'],
    ['openchat-3.5', 'OPENCHAT_3_5'],
    ['phi-3-mini', 'PHI_3_MINI'],
    ['yi-34b', 'YI_34B'],
  ])('%s → %s', (id, prefix) => expect(envPrefix(id)).toBe(prefix));
});

describe('applyModelEnv', () => {
  it('writes only the variables that are set, creating sections as needed, and says where each came from', () => {
    const raw: Record<string, any> = { service: { name: 'phi-3-mini', port: 11403 } };
    const applied = applyModelEnv('phi-3-mini', raw, {
      PHI_3_MINI_PORT: '12000',
      PHI_3_MINI_EFFICIENCY_MODE: '0',
      PHI_3_MINI_ENGINE_URLS: 'http://a:1,http://b:2',
      PHI_3_MINI_VLLM_VERSION: '0.18.0',
      MIXTRAL_8X7B_PORT: '1',
    });
    expect(raw).toEqual({
      service: { name: 'phi-3-mini', port: 12000 },
      efficiency: { efficiency_mode: false },
      engine: { urls: ['http://a:1', 'http://b:2'], vllm: { version: '0.18.0' } },
    });
    expect(applied).toEqual([
      { variable: 'PHI_3_MINI_PORT', path: 'service.port' },
      { variable: 'PHI_3_MINI_EFFICIENCY_MODE', path: 'efficiency.efficiency_mode' },
      { variable: 'PHI_3_MINI_ENGINE_URLS', path: 'engine.urls' },
      { variable: 'PHI_3_MINI_VLLM_VERSION', path: 'engine.vllm.version' },
    ]);
  });

  it("covers every per-model variable in the seeds' .env blocks", () => {
    const suffixes = MODEL_ENV_KEYS.map(([suffix]) => suffix);
    // Seeds 1.2, 1.4 and 1.5, without their prefixes.
    const seeds = [
      'PORT', 'MEMORY_GB', 'CPU_CORES', 'MODEL_PATH', 'MODEL_NAME', 'MAX_MODEL_LEN', 'TENSOR_PARALLEL_SIZE',
      'GPU_MEMORY_UTILIZATION', 'MAX_NUM_BATCHED_TOKENS', 'MAX_NUM_SEQS', 'TARGET_LATENCY_MS', 'TARGET_THROUGHPUT_RPS',
      'SWAP_SPACE', 'ENFORCE_EAGER', 'METRICS_PORT', 'HEALTH_CHECK_INTERVAL', 'STREAMING_ENABLED', 'CONCURRENT_USERS',
      'RESPONSE_CHUNK_SIZE', 'LOW_LATENCY_MODE', 'EFFICIENCY_MODE', 'MAX_THROUGHPUT_RPS', 'MEMORY_OPTIMIZATION', 'CPU_OPTIMIZATION',
    ];
    expect(suffixes).toEqual(expect.arrayContaining(seeds));
    expect(new Set(suffixes).size).toBe(suffixes.length);
  });
});

describe('applyEnvList', () => {
  it('applies the gateway variables', () => {
    const raw: Record<string, any> = { port: 8000 };
    expect(applyEnvList(GATEWAY_ENV_KEYS, raw, { CITADEL_GATEWAY_PORT: '9000', CITADEL_GATEWAY_ENABLED: 'false' })).toHaveLength(2);
    expect(raw).toEqual({ port: 9000, enabled: false });
  });
});
