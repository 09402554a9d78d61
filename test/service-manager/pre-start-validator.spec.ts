import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { join } from 'node:path';
import { pickFreePort } from '../../src/services/core/service-manager/free-port';
import { HostProbes, SystemProbes } from '../../src/services/core/service-manager/host-probes';
import { CheckResult, PreStartValidator } from '../../src/services/core/service-manager/pre-start-validator';
import { runServiceManagerCommand } from '../../src/cli/service-manager-cli';
import { captureOutput, FAKE_VLLM_DIR, loadConfig, NEUTRAL_CWD, removeTempDirs, tempDir, TINY_MODEL } from './helpers';

afterAll(removeTempDirs);

const GIB = 1024 ** 3;

/** A host with one 80 GB GPU, plenty of memory and the fake vllm on PATH. */
function probes(over: Partial<HostProbes> = {}): HostProbes {
  const system = new SystemProbes({ pathEnv: FAKE_VLLM_DIR });
  return {
    gpuMemoryMiB: () => Promise.resolve([81920]),
    memAvailableBytes: () => Promise.resolve(200 * GIB),
    findExecutable: (name) => system.findExecutable(name),
    ...over,
  };
}

/** Environment for one model on free loopback ports, with temp folders and the fixture model. */
async function envFor(prefix: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const dir = tempDir('citadel-validate-');
  return {
    [`${prefix}_HOST`]: '127.0.0.1',
    [`${prefix}_PORT`]: String(await pickFreePort()),
    [`${prefix}_METRICS_PORT`]: String(await pickFreePort()),
    [`${prefix}_MODEL_PATH`]: TINY_MODEL,
    [`${prefix}_ENGINE_MODE`]: 'managed',
    VLLM_LOG_PATH: join(dir, 'log'),
    VLLM_PID_PATH: join(dir, 'run'),
    VLLM_SERVICE_TEMPLATE_PATH: join(dir, 'config', 'services'),
    ...extra,
  };
}

async function validate(id: string, env: Record<string, string>, hostProbes = probes()): Promise<Map<string, CheckResult>> {
  const config = loadConfig(env, [id]);
  const results = await new PreStartValidator({ probes: hostProbes }).validate(config.model(id)!, config.serviceManager);
  return new Map(results.map((r) => [r.name, r]));
}

const statusOf = (results: Map<string, CheckResult>) => Object.fromEntries([...results].map(([name, r]) => [name, r.status]));

describe('PreStartValidator', () => {
  it('passes a managed model whose files, ports, paths, GPU and memory are all right', async () => {
    const results = await validate('mixtral-8x7b', await envFor('MIXTRAL_8X7B'));
    expect(statusOf(results)).toEqual({
      config: 'PASS',
      'service-port': 'PASS',
      'metrics-port': 'PASS',
      'log-path': 'PASS',
      'pid-path': 'PASS',
      'config-path': 'PASS',
      'model-dir': 'PASS',
      'weights-fit': 'PASS',
      'max-model-len': 'PASS',
      checksums: 'PASS',
      'host-memory': 'PASS',
      'vllm-executable': 'PASS',
      'api-key-file': 'SKIP',
    });
    expect(results.get('log-path')!.reason).toMatch(/is writable \(created\)$/);
    expect(results.get('max-model-len')!.reason).toBe('max_model_len 32768 <= 32768 (max_position_embeddings)');
    expect(results.get('vllm-executable')!.reason).toBe(`vllm is ${join(FAKE_VLLM_DIR, 'vllm')}`);
    expect(results.get('weights-fit')!.reason).toMatch(/^weights 8 bytes \(index metadata.total_size\) fit in 1 x 80 GiB x 0.9 = 72 GiB/);
  });

  it('fails a port that is taken', async () => {
    const env = await envFor('PHI_3_MINI');
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(Number(env.PHI_3_MINI_PORT), '127.0.0.1', resolve));
    try {
      const results = await validate('phi-3-mini', env);
      expect(results.get('service-port')).toEqual({ status: 'FAIL', name: 'service-port', reason: `127.0.0.1:${env.PHI_3_MINI_PORT} cannot be bound (already in use)` });
      expect(results.get('metrics-port')!.status).toBe('PASS');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails a path it can neither create nor write', async () => {
    const results = await validate('phi-3-mini', await envFor('PHI_3_MINI', { VLLM_LOG_PATH: '/proc/citadel-llm-log' }));
    expect(results.get('log-path')!.status).toBe('FAIL');
    expect(results.get('log-path')!.reason).toMatch(/^\/proc\/citadel-llm-log missing and cannot be created/);
  });

  it('fails max_model_len beyond the model context', async () => {
    const results = await validate('mixtral-8x7b', await envFor('MIXTRAL_8X7B', { MIXTRAL_8X7B_MAX_MODEL_LEN: '65536' }));
    expect(results.get('max-model-len')!.status).toBe('FAIL');
    expect(results.get('max-model-len')!.reason).toMatch(/max_model_len 65536 exceeds the model's 32768/);
  });

  it('fails weights that do not fit the GPUs, and too few GPUs for tensor parallelism', async () => {
    const dir = join(tempDir(), 'big-model');
    cpSync(TINY_MODEL, dir, { recursive: true });
    const indexFile = join(dir, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexFile, 'utf8'));
    index.metadata.total_size = 93 * GIB;
    writeFileSync(indexFile, JSON.stringify(index));
    const big = await validate('mixtral-8x7b', await envFor('MIXTRAL_8X7B', { MIXTRAL_8X7B_MODEL_PATH: dir }));
    expect(big.get('weights-fit')!.status).toBe('FAIL');
    expect(big.get('weights-fit')!.reason).toMatch(/weights 93 GiB .* exceed GPU memory 1 x 80 GiB x 0.9 = 72 GiB/);
    expect(big.get('checksums')!.status).toBe('FAIL');

    const yi = await validate('yi-34b', await envFor('YI_34B'));
    expect(yi.get('weights-fit')!.reason).toBe('tensor_parallel_size 2 needs 2 GPUs, this host has 1');
    const twoGpus = await validate('yi-34b', await envFor('YI_34B'), probes({ gpuMemoryMiB: () => Promise.resolve([81920, 81920]) }));
    expect(twoGpus.get('weights-fit')!.status).toBe('PASS');
  });

  it('skips the GPU check with a note when GPU memory is unknown', async () => {
    const results = await validate('mixtral-8x7b', await envFor('MIXTRAL_8X7B'), probes({ gpuMemoryMiB: () => Promise.resolve(undefined) }));
    expect(results.get('weights-fit')).toEqual({ status: 'SKIP', name: 'weights-fit', reason: 'GPU memory unknown (nvidia-smi gave no answer); weights are 8 bytes (index metadata.total_size)' });
  });

  it('fails a managed model without enough host memory, a missing vllm and a missing model directory', async () => {
    const results = await validate(
      'mixtral-8x7b',
      await envFor('MIXTRAL_8X7B', { MIXTRAL_8X7B_MODEL_PATH: '/nonexistent/models/mixtral' }),
      probes({ memAvailableBytes: () => Promise.resolve(16 * GIB), findExecutable: () => Promise.resolve(undefined) }),
    );
    expect(statusOf(results)).toMatchObject({ 'host-memory': 'FAIL', 'vllm-executable': 'FAIL', 'model-dir': 'FAIL', 'weights-fit': 'SKIP', checksums: 'SKIP' });
    expect(results.get('host-memory')!.reason).toBe('16 GiB available, memory_limit_gb 90: not enough for the model\'s allocation');
    expect(results.get('model-dir')!.reason).toBe('/nonexistent/models/mixtral does not exist');
  });

  it('needs neither weights nor vllm nor much memory for a simulated engine', async () => {
    const env = await envFor('OPENCHAT_3_5', { OPENCHAT_3_5_ENGINE_MODE: 'simulated' });
    delete env.OPENCHAT_3_5_MODEL_PATH;
    const results = await validate('openchat-3.5', env, probes({ memAvailableBytes: () => Promise.resolve(2 * GIB) }));
    expect(statusOf(results)).toMatchObject({ 'model-dir': 'SKIP', 'weights-fit': 'SKIP', 'max-model-len': 'SKIP', checksums: 'SKIP', 'vllm-executable': 'SKIP', 'host-memory': 'PASS' });
    expect(results.get('host-memory')!.reason).toMatch(/engine mode simulated needs little host memory/);
    expect(PreStartValidator.failed([...results.values()])).toBe(false);
  });

  it('checks a configured API key file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'empty'), '\n');
    const config = loadConfig(await envFor('PHI_3_MINI'), ['phi-3-mini']);
    const model = config.model('phi-3-mini')!;
    const validator = new PreStartValidator({ probes: probes() });
    model.engine.vllm.api_key_file = join(dir, 'empty');
    expect((await validator.validate(model, config.serviceManager)).find((r) => r.name === 'api-key-file')!.status).toBe('FAIL');
    model.engine.vllm.api_key_file = join(dir, 'missing');
    expect((await validator.validate(model, config.serviceManager)).find((r) => r.name === 'api-key-file')!.reason).toMatch(/ENOENT/);
  });
});

describe('citadel-llm services validate', () => {
  it('prints one line per check and exits 0 when nothing fails', async () => {
    const { sink, deps } = captureOutput();
    const code = await runServiceManagerCommand('validate', ['mixtral-8x7b'], { ...deps, env: await envFor('MIXTRAL_8X7B'), cwd: NEUTRAL_CWD, probes: probes() });
    const lines = sink.out.trim().split('\n');
    expect(code).toBe(0);
    expect(lines).toHaveLength(13);
    for (const line of lines) expect(line).toMatch(/^(PASS|FAIL|SKIP) [a-z-]+: \S/);
    expect(lines[0]).toBe('PASS config: mixtral-8x7b configuration is valid (engine mode managed)');
  });

  it('exits 1 on a failed check', async () => {
    const { sink, deps } = captureOutput();
    const env = await envFor('MIXTRAL_8X7B', { MIXTRAL_8X7B_MAX_MODEL_LEN: '65536' });
    const code = await runServiceManagerCommand('validate', ['mixtral-8x7b'], { ...deps, env, cwd: NEUTRAL_CWD, probes: probes() });
    expect(code).toBe(1);
    expect(sink.out).toMatch(/^FAIL max-model-len: /m);
  });

  it('reports a configuration that does not load as FAIL config, exit 1', async () => {
    const { sink, deps } = captureOutput();
    const code = await runServiceManagerCommand('validate', ['phi-3-mini'], { ...deps, env: { PHI_3_MINI_PORT: 'eleven' }, cwd: NEUTRAL_CWD, probes: probes() });
    expect(code).toBe(1);
    expect(sink.out).toMatch(/^FAIL config: PHI_3_MINI_PORT \(environment\): service\.port = "eleven": must be an integer port/);
  });

  it('runs on this host with its real probes', async () => {
    const { sink, deps } = captureOutput();
    const env = await envFor('PHI_3_MINI', { PHI_3_MINI_ENGINE_MODE: 'simulated' });
    const code = await runServiceManagerCommand('validate', ['phi-3-mini'], { ...deps, env, cwd: NEUTRAL_CWD });
    expect(sink.out).toMatch(/^(PASS|SKIP) weights-fit: /m);
    expect(sink.out).toMatch(/^(PASS|SKIP) host-memory: /m);
    expect(code).toBe(0);
  });
});
