import 'reflect-metadata';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigValidationError, formatProblem } from '../../src/config/config-problem';
import { editConfigFile, expectConfigError, load, problemFor, REPO_CONFIG, replaceOnce, sharedCwd, shownPath, TempDirs } from './config-fixtures';

const env = (name: string) => `${name} (environment)`;

/** Removes a top-level YAML section (its header and its indented lines). */
function cutSection(text: string, name: string): string {
  const cut = text.replace(new RegExp(`^${name}:\\n(?:[ #].*\\n|\\n)*?(?=^\\S)`, 'm'), '');
  if (cut === text || new RegExp(`^${name}:`, 'm').test(cut)) throw new Error(`no section ${name} to cut`);
  return cut;
}

interface EnvCase {
  title: string;
  vars: Record<string, string>;
  source: string;
  key: string;
  value: unknown;
  rule: RegExp;
}

/** Bad values given through the environment: the problem names the variable. */
const ENV_CASES: EnvCase[] = [
  { title: 'a negative port', vars: { MIXTRAL_8X7B_PORT: '-1' }, source: env('MIXTRAL_8X7B_PORT'), key: 'service.port', value: -1, rule: /integer port from 1 to 65535/ },
  { title: 'a port above 65535', vars: { OPENCHAT_3_5_PORT: '70000' }, source: env('OPENCHAT_3_5_PORT'), key: 'service.port', value: 70000, rule: /integer port from 1 to 65535/ },
  { title: 'a port that is not a number', vars: { MIXTRAL_8X7B_PORT: 'abc' }, source: env('MIXTRAL_8X7B_PORT'), key: 'service.port', value: 'abc', rule: /integer port/ },
  { title: 'a fractional port', vars: { YI_34B_METRICS_PORT: '11407.5' }, source: env('YI_34B_METRICS_PORT'), key: 'monitoring.prometheus_port', value: 11407.5, rule: /integer port/ },
  { title: 'gpu_memory_utilization 0', vars: { MIXTRAL_8X7B_GPU_MEMORY_UTILIZATION: '0' }, source: env('MIXTRAL_8X7B_GPU_MEMORY_UTILIZATION'), key: 'model.gpu_memory_utilization', value: 0, rule: /number in \(0, 1\]/ },
  { title: 'gpu_memory_utilization 1.5', vars: { PHI_3_MINI_GPU_MEMORY_UTILIZATION: '1.5' }, source: env('PHI_3_MINI_GPU_MEMORY_UTILIZATION'), key: 'model.gpu_memory_utilization', value: 1.5, rule: /number in \(0, 1\]/ },
  {
    title: 'max_num_batched_tokens below max_num_seqs',
    vars: { PHI_3_MINI_MAX_NUM_BATCHED_TOKENS: '16' },
    source: env('PHI_3_MINI_MAX_NUM_BATCHED_TOKENS'),
    key: 'model.max_num_batched_tokens',
    value: 16,
    rule: />= model\.max_num_seqs \(32\)/,
  },
  { title: 'negative memory', vars: { YI_34B_MEMORY_GB: '-80' }, source: env('YI_34B_MEMORY_GB'), key: 'performance.memory_limit_gb', value: -80, rule: /positive number \(GB\)/ },
  { title: 'zero CPU cores', vars: { OPENCHAT_3_5_CPU_CORES: '0' }, source: env('OPENCHAT_3_5_CPU_CORES'), key: 'performance.cpu_cores', value: 0, rule: /positive number of cores/ },
  { title: 'tensor_parallel_size 0', vars: { YI_34B_TENSOR_PARALLEL_SIZE: '0' }, source: env('YI_34B_TENSOR_PARALLEL_SIZE'), key: 'model.tensor_parallel_size', value: 0, rule: /positive integer/ },
  { title: 'max_model_len 8', vars: { MIXTRAL_8X7B_MAX_MODEL_LEN: '8' }, source: env('MIXTRAL_8X7B_MAX_MODEL_LEN'), key: 'model.max_model_len', value: 8, rule: /at least 16 tokens/ },
  { title: 'a non-boolean efficiency_mode', vars: { PHI_3_MINI_EFFICIENCY_MODE: 'maybe' }, source: env('PHI_3_MINI_EFFICIENCY_MODE'), key: 'efficiency.efficiency_mode', value: 'maybe', rule: /true or false/ },
  { title: 'engine.mode "cloud"', vars: { MIXTRAL_8X7B_ENGINE_MODE: 'cloud' }, source: env('MIXTRAL_8X7B_ENGINE_MODE'), key: 'engine.mode', value: 'cloud', rule: /simulated, managed, external/ },
  {
    title: 'engine.urls with something that is not a URL',
    vars: { YI_34B_ENGINE_URLS: 'http://10.0.0.5:8000,not a url' },
    source: env('YI_34B_ENGINE_URLS'),
    key: 'engine.urls',
    value: ['http://10.0.0.5:8000', 'not a url'],
    rule: /http\(s\) URLs/,
  },
  { title: 'engine.urls with a non-http scheme', vars: { YI_34B_ENGINE_URLS: 'ftp://10.0.0.5/' }, source: env('YI_34B_ENGINE_URLS'), key: 'engine.urls', value: ['ftp://10.0.0.5/'], rule: /http\(s\) URLs/ },
  { title: 'enforce_eager 2', vars: { MIXTRAL_8X7B_ENFORCE_EAGER: '2' }, source: env('MIXTRAL_8X7B_ENFORCE_EAGER'), key: 'performance.enforce_eager', value: 2, rule: /0 or 1/ },
  { title: 'a vLLM version that is not one', vars: { MIXTRAL_8X7B_VLLM_VERSION: 'latest' }, source: env('MIXTRAL_8X7B_VLLM_VERSION'), key: 'engine.vllm.version', value: 'latest', rule: /version like/ },
  { title: 'CITADEL_ENV "prod"', vars: { CITADEL_ENV: 'prod' }, source: env('CITADEL_ENV'), key: 'CITADEL_ENV', value: 'prod', rule: /development, staging, production, test/ },
  {
    title: 'DEFAULT_RESTART_POLICY "sometimes"',
    vars: { DEFAULT_RESTART_POLICY: 'sometimes' },
    source: env('DEFAULT_RESTART_POLICY'),
    key: 'DEFAULT_RESTART_POLICY',
    value: 'sometimes',
    rule: /systemd Restart= value.*on-failure/,
  },
  { title: 'a relative VLLM_LOG_PATH', vars: { VLLM_LOG_PATH: 'logs/citadel' }, source: env('VLLM_LOG_PATH'), key: 'VLLM_LOG_PATH', value: 'logs/citadel', rule: /absolute path/ },
  { title: 'DEFAULT_MAX_TASKS not a number', vars: { DEFAULT_MAX_TASKS: 'lots' }, source: env('DEFAULT_MAX_TASKS'), key: 'DEFAULT_MAX_TASKS', value: 'lots', rule: /positive integer/ },
  { title: 'a gateway port above 65535', vars: { CITADEL_GATEWAY_PORT: '80000' }, source: env('CITADEL_GATEWAY_PORT'), key: 'gateway.port', value: 80000, rule: /integer port from 1 to 65535/ },
];

describe('invalid values stop the boot with ConfigValidationError naming source, key, value and rule', () => {
  it.each(ENV_CASES)('$title', ({ vars, source, key, value, rule }) => {
    const error = expectConfigError(() => load(vars));
    const problem = problemFor(error, source, key);
    expect(problem.value).toEqual(value);
    expect(problem.rule).toMatch(rule);
    // The message shows it on a line of its own.
    expect(error.message.split('\n')).toContain('  ' + formatProblem(problem));
  });

  it('allows port 0 (any free port, for tests)', () => {
    const config = load({ MIXTRAL_8X7B_PORT: '0', MIXTRAL_8X7B_METRICS_PORT: '0', CITADEL_GATEWAY_PORT: '0' });
    expect(config.model('mixtral-8x7b')?.service.port).toBe(0);
    expect(config.model('mixtral-8x7b')?.monitoring.prometheus_port).toBe(0);
    expect(config.gateway.port).toBe(0);
  });

  it('reports max_num_seqs raised above the batched tokens, with the rule naming max_num_seqs', () => {
    const error = expectConfigError(() => load({ OPENCHAT_3_5_MAX_NUM_SEQS: '4096' }));
    const problem = error.problems.find((p) => p.key === 'model.max_num_batched_tokens');
    expect(problem).toMatchObject({ value: 2048 });
    expect(problem?.rule).toMatch(/max_num_seqs \(4096\)/);
  });

  it('a variable that creates a section the YAML lacks still needs that section\'s required keys', () => {
    const error = expectConfigError(() => load({ MIXTRAL_8X7B_STREAMING_ENABLED: 'true' }));
    const problem = error.problems.find((p) => p.key === 'realtime.concurrent_users');
    expect(problem).toMatchObject({ value: undefined });
    expect(problem?.rule).toMatch(/positive integer/);
  });

  describe('problems in the YAML files name the file', () => {
    const dirs = new TempDirs();
    afterAll(() => dirs.cleanup());

    /** A copy of config/ with one file edited; returns the folder, the file and how the loader shows it. */
    const broken = (file: string, edit: (text: string) => string) => {
      const configDir = dirs.configCopy();
      const path = editConfigFile(configDir, file, edit);
      return { configDir, source: shownPath(sharedCwd(), path) };
    };

    it('log_level VERBOSE', () => {
      const { configDir, source } = broken('services/phi-3-mini.yaml', replaceOnce('log_level: INFO', 'log_level: VERBOSE'));
      const problem = problemFor(expectConfigError(() => load({}, { configDir })), source, 'monitoring.log_level');
      expect(problem.value).toBe('VERBOSE');
      expect(problem.rule).toMatch(/DEBUG, INFO, WARNING, ERROR/);
    });

    it.each(['2', '0'])('service.workers %s: refused, naming why one process per model', (workers) => {
      const { configDir, source } = broken('services/openchat-3.5.yaml', replaceOnce('workers: 1', `workers: ${workers}`));
      const problem = problemFor(expectConfigError(() => load({}, { configDir })), source, 'service.workers');
      expect(problem.value).toBe(Number(workers));
      expect(problem.rule).toMatch(workers === '2' ? /must be 1: one server process per model holds its throttle/ : /must be 1/);
    });

    it('a misspelt key is reported as an unknown key', () => {
      const { configDir, source } = broken('services/mixtral-8x7b.yaml', replaceOnce('target_latency_ms: 2000', 'target_latency_sm: 2000'));
      const error = expectConfigError(() => load({}, { configDir }));
      const unknown = problemFor(error, source, 'performance.target_latency_sm');
      expect(unknown.value).toBe(2000);
      expect(unknown.rule).toBe('unknown key');
      // ...and the key it should have been is now missing.
      expect(problemFor(error, source, 'performance.target_latency_ms').value).toBeUndefined();
    });

    it('an unknown top-level section is reported as an unknown key', () => {
      const { configDir, source } = broken('services/yi-34b.yaml', (text) => text + '\nperformace:\n  target_latency_ms: 1\n');
      const problem = problemFor(expectConfigError(() => load({}, { configDir })), source, 'performace');
      expect(problem.rule).toBe('unknown key');
    });

    describe('a model without the section its class requires', () => {
      // Prepared while the tests are collected, so a fixture that no longer fits fails the file
      // loudly instead of making a test below fail for the wrong reason.
      const noRealtime = broken('services/openchat-3.5.yaml', (text) => cutSection(text, 'realtime'));
      const noEfficiency = broken('services/phi-3-mini.yaml', (text) => cutSection(text, 'efficiency'));

      it('openchat-3.5 without realtime', () => {
        const problem = problemFor(expectConfigError(() => load({}, { configDir: noRealtime.configDir })), noRealtime.source, 'realtime');
        expect(problem.value).toBeUndefined();
        expect(problem.rule).toMatch(/required for openchat-3\.5/);
      });

      it('phi-3-mini without efficiency', () => {
        const problem = problemFor(expectConfigError(() => load({}, { configDir: noEfficiency.configDir })), noEfficiency.source, 'efficiency');
        expect(problem.value).toBeUndefined();
        expect(problem.rule).toMatch(/required for phi-3-mini/);
      });
    });

    it('efficiency_mode that is not a boolean', () => {
      const { configDir, source } = broken('services/phi-3-mini.yaml', replaceOnce('efficiency_mode: true', 'efficiency_mode: "sometimes"'));
      const problem = problemFor(expectConfigError(() => load({}, { configDir })), source, 'efficiency.efficiency_mode');
      expect(problem.value).toBe('sometimes');
      expect(problem.rule).toMatch(/true or false/);
    });

    it('a missing model file', () => {
      const configDir = dirs.configCopy();
      const path = join(configDir, 'services', 'yi-34b.yaml');
      rmSync(path);
      const problem = problemFor(expectConfigError(() => load({}, { configDir })), shownPath(sharedCwd(), path), '(file)');
      expect(problem.value).toBeUndefined();
      expect(problem.rule).toMatch(/model config file is missing/);
    });

    it('invalid YAML syntax', () => {
      const { configDir, source } = broken('services/mixtral-8x7b.yaml', replaceOnce('  port: 11400\n', '  port: [11400\n'));
      const problem = problemFor(expectConfigError(() => load({}, { configDir })), source, '(file)');
      expect(problem.rule).toMatch(/not valid YAML/);
    });

    it('a YAML file that is not a mapping', () => {
      const { configDir, source } = broken('services/phi-3-mini.yaml', () => '- just\n- a list\n');
      const problem = problemFor(expectConfigError(() => load({}, { configDir })), source, '(file)');
      expect(problem.value).toEqual(['just', 'a list']);
      expect(problem.rule).toMatch(/YAML mapping/);
    });

    it('service.name that does not match the file', () => {
      const { configDir, source } = broken('services/mixtral-8x7b.yaml', replaceOnce('name: mixtral-8x7b', 'name: mixtral'));
      const problem = problemFor(expectConfigError(() => load({}, { configDir })), source, 'service.name');
      expect(problem.value).toBe('mixtral');
      expect(problem.rule).toMatch(/must be "mixtral-8x7b", the file's model id/);
    });

    it('a port written as text in the YAML', () => {
      const { configDir, source } = broken('services/yi-34b.yaml', replaceOnce('port: 11406', 'port: "11406"'));
      const problem = problemFor(expectConfigError(() => load({}, { configDir })), source, 'service.port');
      expect(problem.value).toBe('11406');
      expect(problem.rule).toMatch(/integer port/);
    });

    it('a bad gateway.yaml value names gateway.yaml and the gateway key', () => {
      const { configDir, source } = broken('gateway.yaml', replaceOnce('port: 8000', 'port: -8000'));
      const problem = problemFor(expectConfigError(() => load({}, { configDir })), source, 'gateway.port');
      expect(problem.value).toBe(-8000);
      expect(problem.rule).toMatch(/integer port/);
    });
  });

  describe('several problems at once', () => {
    it('reports every one of them, one per line', () => {
      const error = expectConfigError(() =>
        load({
          MIXTRAL_8X7B_PORT: 'abc',
          OPENCHAT_3_5_GPU_MEMORY_UTILIZATION: '1.5',
          PHI_3_MINI_MAX_MODEL_LEN: '8',
          YI_34B_ENGINE_MODE: 'cloud',
          CITADEL_ENV: 'prod',
          VLLM_LOG_PATH: 'relative/logs',
        }),
      );
      expect(error).toBeInstanceOf(ConfigValidationError);
      expect(error.problems.map((p) => [p.source, p.key])).toEqual(
        expect.arrayContaining([
          [env('MIXTRAL_8X7B_PORT'), 'service.port'],
          [env('OPENCHAT_3_5_GPU_MEMORY_UTILIZATION'), 'model.gpu_memory_utilization'],
          [env('PHI_3_MINI_MAX_MODEL_LEN'), 'model.max_model_len'],
          [env('YI_34B_ENGINE_MODE'), 'engine.mode'],
          [env('CITADEL_ENV'), 'CITADEL_ENV'],
          [env('VLLM_LOG_PATH'), 'VLLM_LOG_PATH'],
        ]),
      );
      expect(error.problems).toHaveLength(6);
      const lines = error.message.split('\n');
      expect(lines[0]).toBe('invalid configuration (6 problems):');
      expect(lines.slice(1)).toEqual(error.problems.map((p) => '  ' + formatProblem(p)));
      expect(lines.find((l) => l.includes('MIXTRAL_8X7B_PORT'))).toBe(
        '  MIXTRAL_8X7B_PORT (environment): service.port = "abc": must be an integer port from 1 to 65535 (0 only in tests: any free port)',
      );
    });

    it('reports problems from files and variables together', () => {
      const configDir = new TempDirs().configCopy();
      try {
        rmSync(join(configDir, 'services', 'openchat-3.5.yaml'));
        const error = expectConfigError(() => load({ DEFAULT_RESTART_POLICY: 'sometimes', PHI_3_MINI_CPU_CORES: '0' }, { configDir }));
        expect(error.problems.map((p) => p.key).sort()).toEqual(['(file)', 'DEFAULT_RESTART_POLICY', 'performance.cpu_cores']);
        expect(error.message.split('\n')).toHaveLength(4);
      } finally {
        rmSync(join(configDir, '..'), { recursive: true, force: true });
      }
    });
  });

  it('the shipped folder itself is valid (the cases above fail for their own reason)', () => {
    expect(() => load({}, { configDir: REPO_CONFIG })).not.toThrow();
  });
});
