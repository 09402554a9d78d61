import { readFileSync } from 'node:fs';
import { ModelServiceConfig } from '../../../config/model-config';

/** vLLM removed `--swap-space` in 0.18 (vllm PR #36216). */
export const SWAP_SPACE_REMOVED_IN = '0.18';

/** The command line of one `vllm serve`. `args` holds the API key; log `redacted()` instead. */
export class VllmCommand {
  constructor(
    readonly executable: string,
    readonly args: readonly string[],
  ) {}

  /** The command line for logs: the value of `--api-key` is replaced by `***`. */
  redacted(): string {
    const shown = this.args.map((arg, i) => (i > 0 && this.args[i - 1] === '--api-key' ? '***' : arg));
    return [this.executable, ...shown].join(' ');
  }

  /** Values that must never reach a log (the API key), for redacting the engine's own output. */
  secrets(): string[] {
    return this.args.filter((_, i) => i > 0 && this.args[i - 1] === '--api-key');
  }

  toString(): string {
    return this.redacted();
  }

  toJSON(): string {
    return this.redacted();
  }
}

export interface VllmCommandBuilderOptions {
  /** Reads the API key file (default: the file's text, trimmed). */
  readSecret?: (path: string) => string;
}

/** Builds `vllm serve <path> ...` from a model's configuration. The engine always binds loopback. */
export class VllmCommandBuilder {
  private readonly readSecret: (path: string) => string;

  constructor(options: VllmCommandBuilderOptions = {}) {
    this.readSecret = options.readSecret ?? ((path) => readFileSync(path, 'utf8').trim());
  }

  build(model: ModelServiceConfig, port: number): VllmCommand {
    const m = model.model;
    const perf = model.performance;
    const vllm = model.engine.vllm;
    const args = [
      'serve',
      m.path,
      '--served-model-name', m.name,
      '--host', '127.0.0.1',
      '--port', String(port),
      '--max-model-len', String(m.max_model_len),
      '--tensor-parallel-size', String(m.tensor_parallel_size),
      '--gpu-memory-utilization', String(m.gpu_memory_utilization),
      '--max-num-batched-tokens', String(m.max_num_batched_tokens),
      '--max-num-seqs', String(m.max_num_seqs),
    ];
    // Multi-GPU and multi-host serving (vllm/engine/arg_utils.py): vLLM's defaults (1, its own
    // choice of backend) are left implicit, so a one-GPU command line stays as vLLM documents it.
    if (m.pipeline_parallel_size > 1) args.push('--pipeline-parallel-size', String(m.pipeline_parallel_size));
    if (vllm.distributed_executor_backend) args.push('--distributed-executor-backend', vllm.distributed_executor_backend);
    if (perf.enforce_eager === 1) args.push('--enforce-eager');
    if (perf.swap_space > 0 && compareVersions(vllm.version, SWAP_SPACE_REMOVED_IN) < 0) {
      args.push('--swap-space', String(perf.swap_space));
    }
    // Tool calling, chat template and reasoning as vLLM's own flags (vllm/entrypoints/openai/cli_args.py).
    if (vllm.enable_auto_tool_choice) args.push('--enable-auto-tool-choice');
    if (vllm.tool_call_parser) args.push('--tool-call-parser', vllm.tool_call_parser);
    if (vllm.chat_template) args.push('--chat-template', vllm.chat_template);
    if (vllm.reasoning_parser) args.push('--reasoning-parser', vllm.reasoning_parser);
    // LoRA adapters served as models of their own (vllm/entrypoints/openai/cli_args.py:
    // `--lora-modules` takes name=path words, `--enable-lora` must be on for them).
    const adapters = Object.entries(m.lora_modules);
    if (adapters.length > 0) {
      args.push('--enable-lora', '--lora-modules', ...adapters.map(([name, path]) => `${name}=${path}`));
      if (m.max_loras !== undefined) args.push('--max-loras', String(m.max_loras));
      if (m.max_lora_rank !== undefined) args.push('--max-lora-rank', String(m.max_lora_rank));
    }
    args.push(...vllm.extra_args);
    if (vllm.api_key_file) {
      const key = this.readSecret(vllm.api_key_file);
      if (!key) throw new Error(`${model.id}: engine.vllm.api_key_file ${vllm.api_key_file} is empty`);
      args.push('--api-key', key);
    }
    return new VllmCommand(vllm.executable, args);
  }
}

/**
 * Compares the numeric part of two versions (`0.11.0`, `0.18`, `0.18.0rc1` → 0.18.0):
 * negative, zero or positive. Pre-release suffixes count as the release.
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => (v.match(/^\d+(\.\d+)*/)?.[0] ?? '0').split('.').map(Number);
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
