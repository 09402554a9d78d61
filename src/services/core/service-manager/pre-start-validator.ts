import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigValidationError, formatProblem } from '../../../config/config-problem';
import { ModelServiceConfig } from '../../../config/model-config';
import { HostProbes, SystemProbes, ensureWritableDir, tryBind } from './host-probes';
import { contextLimit, inspectModelDirectory, ModelDirectory } from './model-files';
import { CHECKSUM_MANIFEST, ModelVerifier } from './model-verifier';
import { ServiceManagerConfig } from '../../../config/service-manager.config';

export type CheckStatus = 'PASS' | 'FAIL' | 'SKIP';

export interface CheckResult {
  status: CheckStatus;
  name: string;
  reason: string;
}

export interface PreStartValidatorOptions {
  probes?: HostProbes;
  verifier?: ModelVerifier;
}

const GIB = 1024 ** 3;

/**
 * The checks a model service runs before it starts (the unit's ExecStartPre): one result per
 * check, and the service does not start when any of them fails.
 */
export class PreStartValidator {
  private readonly probes: HostProbes;
  private readonly verifier: ModelVerifier;

  constructor(options: PreStartValidatorOptions = {}) {
    this.probes = options.probes ?? new SystemProbes();
    this.verifier = options.verifier ?? new ModelVerifier();
  }

  static format(result: CheckResult): string {
    return `${result.status} ${result.name}: ${result.reason}`;
  }

  static failed(results: readonly CheckResult[]): boolean {
    return results.some((r) => r.status === 'FAIL');
  }

  /** The result for a configuration that did not load: one FAIL naming every problem. */
  static configFailure(error: unknown): CheckResult {
    const reason = error instanceof ConfigValidationError ? error.problems.map(formatProblem).join('; ') : (error as Error).message;
    return { status: 'FAIL', name: 'config', reason };
  }

  /**
   * Runs every check for one model; `report` sees each result as soon as it is known
   * (the checksum check can take minutes).
   */
  async validate(model: ModelServiceConfig, manager: ServiceManagerConfig, report: (r: CheckResult) => void = () => undefined): Promise<CheckResult[]> {
    const results: CheckResult[] = [];
    const add = (status: CheckStatus, name: string, reason: string) => {
      const r = { status, name, reason };
      results.push(r);
      report(r);
    };
    const managed = model.engine.mode === 'managed';
    add('PASS', 'config', `${model.id} configuration is valid (engine mode ${model.engine.mode})`);

    await this.checkPort(add, 'service-port', model.service.host, model.service.port);
    await this.checkPort(add, 'metrics-port', model.service.host, model.monitoring.prometheus_port);

    for (const [name, dir] of [
      ['log-path', manager.VLLM_LOG_PATH],
      ['pid-path', manager.VLLM_PID_PATH],
      ['config-path', manager.VLLM_SERVICE_TEMPLATE_PATH],
    ] as const) {
      const { created, error } = await ensureWritableDir(dir);
      if (error) add('FAIL', name, `${dir} ${error}`);
      else add('PASS', name, `${dir} is writable${created ? ' (created)' : ''}`);
    }

    const dir = model.model.path;
    const modelChecks = ['weights-fit', 'max-model-len', 'checksums'];
    let files: ModelDirectory | undefined;
    let dirProblem: string | undefined;
    try {
      if (!(await stat(dir)).isDirectory()) dirProblem = `${dir} is not a directory`;
    } catch (error) {
      dirProblem = `${dir} ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (error as Error).message}`;
    }
    if (dirProblem && !managed) {
      // Simulated and external engines do not load weights on this host.
      add('SKIP', 'model-dir', `${dirProblem}; engine mode ${model.engine.mode} does not load weights here`);
      for (const name of modelChecks) add('SKIP', name, 'no model directory');
    } else if (dirProblem) {
      add('FAIL', 'model-dir', dirProblem);
      for (const name of modelChecks) add('SKIP', name, 'no model directory');
    } else {
      try {
        files = await inspectModelDirectory(dir);
      } catch (error) {
        add('FAIL', 'model-dir', `${dir}: ${(error as Error).message}`);
      }
      if (files) {
        const problems: string[] = [];
        if (!files.hasConfig) problems.push('no config.json');
        if (files.weights.length === 0) problems.push('no weights (*.safetensors or *.bin)');
        if (files.missingShards.length) problems.push(`the index names missing shards: ${files.missingShards.join(', ')}`);
        if (problems.length) add('FAIL', 'model-dir', `${dir}: ${problems.join('; ')}`);
        else add('PASS', 'model-dir', `${dir} holds config.json and ${files.weights.length} weight file${files.weights.length === 1 ? '' : 's'}`);
        await this.checkWeightsFit(add, model, files);
        await this.checkContext(add, model, dir);
        await this.checkChecksums(add, dir);
      } else {
        for (const name of modelChecks) add('SKIP', name, 'the model directory could not be read');
      }
    }

    await this.checkHostMemory(add, model);

    if (managed) {
      const found = await this.probes.findExecutable(model.engine.vllm.executable);
      if (found) add('PASS', 'vllm-executable', `${model.engine.vllm.executable} is ${found}`);
      else add('FAIL', 'vllm-executable', `${model.engine.vllm.executable} is not an executable file${model.engine.vllm.executable.includes('/') ? '' : ' on PATH'}`);
    } else {
      add('SKIP', 'vllm-executable', `engine mode ${model.engine.mode} does not launch vllm`);
    }

    const keyFile = model.engine.vllm.api_key_file;
    if (!keyFile) {
      add('SKIP', 'api-key-file', 'engine.vllm.api_key_file is not set');
    } else {
      try {
        const key = (await readFile(keyFile, 'utf8')).trim();
        if (key) add('PASS', 'api-key-file', `${keyFile} is readable and not empty`);
        else add('FAIL', 'api-key-file', `${keyFile} is empty`);
      } catch (error) {
        add('FAIL', 'api-key-file', `${keyFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
    return results;
  }

  private async checkPort(add: (s: CheckStatus, n: string, r: string) => void, name: string, host: string, port: number): Promise<void> {
    if (port === 0) {
      add('SKIP', name, 'port 0: any free port is taken at start');
      return;
    }
    const error = await tryBind(host, port);
    if (error) add('FAIL', name, `${host}:${port} cannot be bound (${error === 'EADDRINUSE' ? 'already in use' : error})`);
    else add('PASS', name, `${host}:${port} is free`);
  }

  private async checkWeightsFit(add: (s: CheckStatus, n: string, r: string) => void, model: ModelServiceConfig, files: ModelDirectory): Promise<void> {
    const weightBytes = files.indexTotalSize ?? files.weights.reduce((sum, w) => sum + w.bytes, 0);
    const source = files.indexTotalSize !== undefined ? 'index metadata.total_size' : 'size of the weight files';
    const gpus = await this.probes.gpuMemoryMiB();
    if (!gpus) {
      add('SKIP', 'weights-fit', `GPU memory unknown (nvidia-smi gave no answer); weights are ${formatBytes(weightBytes)} (${source})`);
      return;
    }
    const tp = model.model.tensor_parallel_size;
    const util = model.model.gpu_memory_utilization;
    if (gpus.length < tp) {
      add('FAIL', 'weights-fit', `tensor_parallel_size ${tp} needs ${tp} GPUs, this host has ${gpus.length}`);
      return;
    }
    const perGpuMiB = Math.min(...gpus);
    const capacity = perGpuMiB * 1024 * 1024 * util * tp;
    const budget = `${tp} x ${formatBytes(perGpuMiB * 1024 * 1024)} x ${util} = ${formatBytes(capacity)}`;
    if (weightBytes > capacity) {
      add('FAIL', 'weights-fit', `weights ${formatBytes(weightBytes)} (${source}) exceed GPU memory ${budget}`);
    } else {
      add('PASS', 'weights-fit', `weights ${formatBytes(weightBytes)} (${source}) fit in ${budget}, ${formatBytes(capacity - weightBytes)} left for KV cache and activations`);
    }
  }

  private async checkContext(add: (s: CheckStatus, n: string, r: string) => void, model: ModelServiceConfig, dir: string): Promise<void> {
    let config: Record<string, unknown>;
    try {
      config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    } catch (error) {
      add('SKIP', 'max-model-len', `config.json unreadable: ${(error as Error).message}`);
      return;
    }
    const limit = contextLimit(config);
    const wanted = model.model.max_model_len;
    if (!limit) {
      add('SKIP', 'max-model-len', 'config.json states no context length (max_position_embeddings)');
    } else if (wanted > limit.tokens) {
      add('FAIL', 'max-model-len', `max_model_len ${wanted} exceeds the model's ${limit.tokens} (${limit.note ?? limit.key} in config.json)`);
    } else {
      add('PASS', 'max-model-len', `max_model_len ${wanted} <= ${limit.tokens} (${limit.note ?? limit.key})`);
    }
  }

  private async checkChecksums(add: (s: CheckStatus, n: string, r: string) => void, dir: string): Promise<void> {
    try {
      await stat(join(dir, CHECKSUM_MANIFEST));
    } catch {
      add('SKIP', 'checksums', `no ${CHECKSUM_MANIFEST} in ${dir}`);
      return;
    }
    try {
      const report = await this.verifier.verify(dir);
      add(report.ok ? 'PASS' : 'FAIL', 'checksums', ModelVerifier.summary(report));
    } catch (error) {
      add('FAIL', 'checksums', (error as Error).message);
    }
  }

  private async checkHostMemory(add: (s: CheckStatus, n: string, r: string) => void, model: ModelServiceConfig): Promise<void> {
    const available = await this.probes.memAvailableBytes();
    const limitGb = model.performance.memory_limit_gb;
    if (available === undefined) {
      add('SKIP', 'host-memory', 'MemAvailable unknown (/proc/meminfo unreadable)');
      return;
    }
    const have = `${formatBytes(available)} available, memory_limit_gb ${limitGb}`;
    if (model.engine.mode !== 'managed') {
      add('PASS', 'host-memory', `${have} (engine mode ${model.engine.mode} needs little host memory)`);
    } else if (available < limitGb * GIB) {
      add('FAIL', 'host-memory', `${have}: not enough for the model's allocation`);
    } else {
      add('PASS', 'host-memory', have);
    }
  }
}

/** 8 bytes, 1.5 KiB, 300 MiB, 86.5 GiB. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} bytes` : `${Number(value.toFixed(value >= 100 ? 0 : 1))} ${units[unit]}`;
}
