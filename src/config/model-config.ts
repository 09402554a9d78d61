import { Type } from 'class-transformer';
import {
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  Validate,
  ValidateNested,
  ValidatorConstraint,
  ValidatorConstraintInterface,
  ValidationArguments,
} from 'class-validator';

/**
 * The shape of `config/services/<model>.yaml`: the seeds' sections (service, model, performance,
 * monitoring, realtime, efficiency) plus `engine`. Keys keep the YAML's snake_case so that a
 * validation message names the key exactly as the operator wrote it.
 */

const PORT_RULE = { message: 'must be an integer port from 1 to 65535 (0 only in tests: any free port)' };

export class ServiceSection {
  @IsString() @Matches(/^[a-z0-9][a-z0-9.-]*$/, { message: 'must be a lower-case id (letters, digits, "." and "-")' })
  name!: string;

  @IsInt(PORT_RULE) @Min(0, PORT_RULE) @Max(65535, PORT_RULE)
  port!: number;

  @IsString() @MinLength(1)
  host: string = '0.0.0.0';

  /**
   * One server process per model: the throttle, the concurrency cap, the admission queue and the
   * engine's health live in that process, and N processes sharing the port would each enforce
   * them separately (N times the configured rate). More cores: more engine replicas (engine.urls).
   */
  @IsInt({ message: 'must be 1' }) @Min(1, { message: 'must be 1' })
  @Max(1, { message: 'must be 1: one server process per model holds its throttle, concurrency cap and queue; more processes would each admit the full rate (README, Configuration: service.workers)' })
  workers: number = 1;

  @IsBoolean({ message: 'must be true or false' })
  enabled: boolean = true;

  /**
   * Models (ids) that answer in this one's place when none of its engine replicas is available,
   * in order; only those served by the same process. The answer names the model that gave it.
   */
  @IsArray({ message: 'must be a list of model ids' })
  @IsString({ each: true, message: 'must be a list of model ids' })
  // Which ids are known is the model registry's to say: the loader checks them.
  fallbacks: string[] = [];

  /** Requests this model works on at once (queued in the engine included); beyond: 429. */
  @IsInt({ message: 'must be a positive integer' }) @Min(1, { message: 'must be a positive integer' })
  max_concurrent_requests: number = 1024;

  /** Largest request body accepted; bigger ones get 413 before anything is parsed. */
  @IsInt({ message: 'must be a positive integer (bytes)' }) @Min(1024, { message: 'must be at least 1024 bytes' })
  max_body_bytes: number = 4 * 1024 * 1024;
}

@ValidatorConstraint({ name: 'batchedTokensCoverSeqs' })
class BatchedTokensCoverSeqs implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    const seqs = (args.object as ModelSection).max_num_seqs;
    return typeof value !== 'number' || typeof seqs !== 'number' || value >= seqs;
  }
  defaultMessage(args: ValidationArguments): string {
    return `must be >= model.max_num_seqs (${(args.object as ModelSection).max_num_seqs}): vLLM schedules at least one token per sequence`;
  }
}

/** An adapter name: one word of the command line, and never holding the `=` of `name=path`. */
const LORA_NAME = /^[A-Za-z0-9][A-Za-z0-9._\/:-]*$/;

@ValidatorConstraint({ name: 'loraModules' })
class LoraModules implements ValidatorConstraintInterface {
  private problems(value: unknown): string[] {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return ['must be a mapping of adapter names to paths'];
    const out: string[] = [];
    for (const [name, path] of Object.entries(value)) {
      if (!LORA_NAME.test(name)) out.push(`adapter name ${JSON.stringify(name)} must start with a letter or digit and hold only letters, digits and . _ / : -`);
      if (typeof path !== 'string' || path === '') out.push(`${name}: the path must be a non-empty string`);
      else if (/\s/.test(path)) out.push(`${name}: the path ${JSON.stringify(path)} holds whitespace (vLLM reads --lora-modules name=path as one word)`);
    }
    return out;
  }
  validate(value: unknown): boolean {
    return this.problems(value).length === 0;
  }
  defaultMessage(args: ValidationArguments): string {
    return this.problems(args.value).join('; ');
  }
}

export class ModelSection {
  @IsString() @MinLength(1, { message: 'must be a non-empty path' })
  path!: string;

  /** The served model name: what vLLM is started with and what clients may put in `model`. */
  @IsString() @MinLength(1, { message: 'must be a non-empty name' })
  name!: string;

  @IsInt({ message: 'must be a positive integer (tokens)' }) @Min(16, { message: 'must be at least 16 tokens' })
  max_model_len!: number;

  @IsInt({ message: 'must be a positive integer' }) @Min(1, { message: 'must be a positive integer' }) @Max(64, { message: 'must be at most 64' })
  tensor_parallel_size!: number;

  /**
   * `--pipeline-parallel-size`: the model's layers split over this many stages (groups of
   * tensor_parallel_size GPUs), on one host or, with engine.vllm.distributed_executor_backend
   * `ray`, across hosts. The engine uses tensor_parallel_size x pipeline_parallel_size GPUs.
   */
  @IsInt({ message: 'must be a positive integer' }) @Min(1, { message: 'must be a positive integer' }) @Max(64, { message: 'must be at most 64' })
  pipeline_parallel_size: number = 1;

  @IsNumber({}, { message: 'must be a number in (0, 1]' })
  @Min(Number.MIN_VALUE, { message: 'must be a number in (0, 1]' })
  @Max(1, { message: 'must be a number in (0, 1]' })
  gpu_memory_utilization!: number;

  @IsInt({ message: 'must be a positive integer' }) @Min(1, { message: 'must be a positive integer' })
  @Validate(BatchedTokensCoverSeqs)
  max_num_batched_tokens!: number;

  @IsInt({ message: 'must be a positive integer' }) @Min(1, { message: 'must be a positive integer' })
  max_num_seqs!: number;

  /** Other names a client may use for this model (the gateway routes them here). */
  @IsArray({ message: 'must be a list of names' }) @IsString({ each: true, message: 'must be a list of names' }) @ArrayUnique()
  aliases: string[] = [];

  /**
   * LoRA adapters served on this model's engine, name → path (vLLM's `--lora-modules name=path`).
   * A request naming an adapter reaches the engine with that name; `/v1/models` lists each one
   * with this model as its `parent`.
   */
  @Validate(LoraModules)
  lora_modules: Record<string, string> = {};

  /** vLLM's `--max-loras`: adapters in one batch (vLLM's default: 1). */
  @IsOptional() @IsInt({ message: 'must be a positive integer' }) @Min(1, { message: 'must be a positive integer' })
  max_loras?: number;

  /** vLLM's `--max-lora-rank`: the highest adapter rank the engine reserves memory for (vLLM's default: 16; its choices: MaxLoRARanks in vllm/config/lora.py). */
  @IsOptional() @IsIn([1, 8, 16, 32, 64, 128, 256, 320, 512], { message: "must be one of vLLM's ranks: 1, 8, 16, 32, 64, 128, 256, 320, 512" })
  max_lora_rank?: number;
}

export class PerformanceSection {
  @IsInt({ message: 'must be a positive integer (ms)' }) @Min(1, { message: 'must be a positive integer (ms)' })
  target_latency_ms!: number;

  @IsNumber({}, { message: 'must be a positive number' }) @Min(Number.MIN_VALUE, { message: 'must be a positive number' })
  target_throughput_rps!: number;

  @IsNumber({}, { message: 'must be a positive number (GB)' }) @Min(Number.MIN_VALUE, { message: 'must be a positive number (GB)' })
  memory_limit_gb!: number;

  @IsNumber({}, { message: 'must be a positive number of cores' }) @Min(Number.MIN_VALUE, { message: 'must be a positive number of cores' })
  cpu_cores!: number;

  /** vLLM's CPU swap space in GB (0 = none). Only passed to vLLM versions that still have it. */
  @IsNumber({}, { message: 'must be a number >= 0 (GB)' }) @Min(0, { message: 'must be a number >= 0 (GB)' })
  swap_space: number = 0;

  @IsIn([0, 1], { message: 'must be 0 or 1' })
  enforce_eager: 0 | 1 = 0;
}

export class MonitoringSection {
  @IsInt({ message: 'must be a positive integer (seconds)' }) @Min(1, { message: 'must be a positive integer (seconds)' })
  health_check_interval!: number;

  @IsInt({ message: 'must be a positive integer (seconds)' }) @Min(1, { message: 'must be a positive integer (seconds)' })
  metrics_collection_interval: number = 15;

  /** The model's own metrics listener (DESIGN.md port map). */
  @IsInt(PORT_RULE) @Min(0, PORT_RULE) @Max(65535, PORT_RULE)
  prometheus_port!: number;

  @IsIn(['DEBUG', 'INFO', 'WARNING', 'ERROR'], { message: 'must be one of DEBUG, INFO, WARNING, ERROR' })
  log_level: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' = 'INFO';

  /** Requests in flight with no byte from the engine for this long make the engine unhealthy. */
  @IsInt({ message: 'must be a positive integer (seconds)' }) @Min(1, { message: 'must be a positive integer (seconds)' })
  stall_timeout_seconds: number = 120;
}

/** OpenChat's real-time settings (seed 1.4). */
export class RealtimeSection {
  @IsBoolean({ message: 'must be true or false' })
  streaming_enabled: boolean = true;

  @IsInt({ message: 'must be a positive integer' }) @Min(1, { message: 'must be a positive integer' })
  concurrent_users!: number;

  @IsInt({ message: 'must be a positive integer' }) @Min(1, { message: 'must be a positive integer' })
  response_chunk_size: number = 1;

  @IsBoolean({ message: 'must be true or false' })
  low_latency_mode: boolean = true;

  @IsInt({ message: 'must be a positive integer (seconds)' }) @Min(1, { message: 'must be a positive integer (seconds)' })
  connection_timeout_seconds: number = 30;
}

/** Phi-3's efficiency settings (seed 1.5) plus the throttle's burst and queue. */
export class EfficiencySection {
  @IsBoolean({ message: 'must be true or false' })
  efficiency_mode: boolean = false;

  @IsNumber({}, { message: 'must be a positive number' }) @Min(Number.MIN_VALUE, { message: 'must be a positive number' })
  max_throughput_rps!: number;

  @IsBoolean({ message: 'must be true or false' })
  memory_optimization: boolean = false;

  @IsBoolean({ message: 'must be true or false' })
  cpu_optimization: boolean = false;

  @IsBoolean({ message: 'must be true or false' })
  resource_monitoring: boolean = false;

  @IsInt({ message: 'must be a positive integer' }) @Min(1, { message: 'must be a positive integer' })
  burst: number = 20;

  @IsInt({ message: 'must be an integer >= 0' }) @Min(0, { message: 'must be an integer >= 0' })
  queue_size: number = 64;

  @IsInt({ message: 'must be a positive integer (ms)' }) @Min(1, { message: 'must be a positive integer (ms)' })
  queue_timeout_ms: number = 2000;
}

/** The simulator's latency model for this model (engine mode `simulated`). */
export class SimulatorSection {
  @IsNumber({}, { message: 'must be a number >= 0 (ms)' }) @Min(0, { message: 'must be a number >= 0 (ms)' })
  ttft_base_ms: number = 50;

  @IsNumber({}, { message: 'must be a number >= 0 (ms)' }) @Min(0, { message: 'must be a number >= 0 (ms)' })
  prefill_ms_per_token: number = 0.05;

  @IsNumber({}, { message: 'must be a number >= 0 (ms)' }) @Min(0, { message: 'must be a number >= 0 (ms)' })
  itl_base_ms: number = 30;

  @IsNumber({}, { message: 'must be a number >= 0 (ms)' }) @Min(0, { message: 'must be a number >= 0 (ms)' })
  itl_ms_per_running_seq: number = 0.1;

  @IsInt({ message: 'must be an integer >= 0' }) @Min(0, { message: 'must be an integer >= 0' })
  max_waiting: number = 1024;

  /** Divides every delay (2 = twice as fast); `instant` profile: 0 delays. */
  @IsNumber({}, { message: 'must be a positive number' }) @Min(Number.MIN_VALUE, { message: 'must be a positive number' })
  speed: number = 1;

  @IsIn(['config', 'instant'], { message: 'must be config or instant' })
  profile: 'config' | 'instant' = 'config';
}

export class EngineTimeoutsSection {
  @IsInt({ message: 'must be a positive integer (ms)' }) @Min(1, { message: 'must be a positive integer (ms)' })
  connect_ms: number = 5000;

  /** Until the response headers arrive. Non-streaming answers send headers only when generation ends. */
  @IsInt({ message: 'must be a positive integer (ms)' }) @Min(1, { message: 'must be a positive integer (ms)' })
  first_byte_ms: number = 600_000;

  /** Until a streaming answer's first event (vLLM sends the headers with the first token). */
  @IsInt({ message: 'must be a positive integer (ms)' }) @Min(1, { message: 'must be a positive integer (ms)' })
  first_token_ms: number = 120_000;

  /** Longest silence allowed between two chunks of a streaming answer. */
  @IsInt({ message: 'must be a positive integer (ms)' }) @Min(1, { message: 'must be a positive integer (ms)' })
  idle_ms: number = 60_000;
}

/** Retries of failures that happened before any answer existed (see VllmEngine). */
export class RetrySection {
  /** Attempts in all, the first included (1 = no retries). */
  @IsInt({ message: 'must be an integer from 1 to 10' }) @Min(1, { message: 'must be an integer from 1 to 10' }) @Max(10, { message: 'must be an integer from 1 to 10' })
  max_attempts: number = 3;

  @IsInt({ message: 'must be a positive integer (ms)' }) @Min(1, { message: 'must be a positive integer (ms)' })
  base_delay_ms: number = 50;

  @IsInt({ message: 'must be a positive integer (ms)' }) @Min(1, { message: 'must be a positive integer (ms)' })
  max_delay_ms: number = 1000;

  /** Retries as a share of requests: 0.2 = at most 20% extra load on a failing engine. */
  @IsNumber({}, { message: 'must be a number from 0 to 1' }) @Min(0, { message: 'must be a number from 0 to 1' }) @Max(1, { message: 'must be a number from 0 to 1' })
  budget_ratio: number = 0.2;
}

/** Per replica: this many failures in a row stop its traffic for open_seconds, then one trial. */
export class CircuitBreakerSection {
  @IsInt({ message: 'must be a positive integer' }) @Min(1, { message: 'must be a positive integer' })
  failure_threshold: number = 5;

  @IsInt({ message: 'must be a positive integer (seconds)' }) @Min(1, { message: 'must be a positive integer (seconds)' })
  open_seconds: number = 60;
}

/**
 * Flags of `vllm serve` that the configuration already sets (in either spelling vLLM accepts):
 * `extra_args` may not set them again, so there is one place for each.
 */
export const VLLM_FLAGS_FROM_CONFIG = [
  '--served-model-name',
  '--host',
  '--port',
  '--max-model-len',
  '--tensor-parallel-size',
  '--pipeline-parallel-size',
  '--distributed-executor-backend',
  '--gpu-memory-utilization',
  '--max-num-batched-tokens',
  '--max-num-seqs',
  '--enforce-eager',
  '--swap-space',
  '--api-key',
  '--enable-auto-tool-choice',
  '--tool-call-parser',
  '--chat-template',
  '--reasoning-parser',
  '--enable-lora',
  '--lora-modules',
  '--max-loras',
  '--max-lora-rank',
];

/** Characters a shell, systemd or an env file would read as syntax; an argument is one word. */
const SHELL_METACHARACTERS = /[\s;&|`$<>(){}\[\]*?!~#'"\\]/;

@ValidatorConstraint({ name: 'vllmExtraArgs' })
class VllmExtraArgs implements ValidatorConstraintInterface {
  private problems(value: unknown): string[] {
    if (!Array.isArray(value)) return ['must be a list of strings'];
    const out: string[] = [];
    for (const arg of value) {
      if (typeof arg !== 'string' || arg === '') {
        out.push(`${JSON.stringify(arg)} is not a non-empty string`);
        continue;
      }
      if (SHELL_METACHARACTERS.test(arg)) out.push(`${JSON.stringify(arg)} contains whitespace or a shell metacharacter (one argument per item)`);
      const flag = arg.startsWith('--') ? '--' + arg.slice(2).split('=')[0].replace(/_/g, '-') : null;
      if (flag && VLLM_FLAGS_FROM_CONFIG.includes(flag)) out.push(`${arg} is set from the configuration already (${flag})`);
    }
    return out;
  }
  validate(value: unknown): boolean {
    return this.problems(value).length === 0;
  }
  defaultMessage(args: ValidationArguments): string {
    return this.problems(args.value).join('; ');
  }
}

@ValidatorConstraint({ name: 'autoToolChoiceNeedsParser' })
class AutoToolChoiceNeedsParser implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    const vllm = args.object as VllmSection;
    return value !== true || (typeof vllm.tool_call_parser === 'string' && vllm.tool_call_parser !== '');
  }
  defaultMessage(): string {
    return 'needs engine.vllm.tool_call_parser: vLLM refuses --enable-auto-tool-choice without --tool-call-parser';
  }
}

export class VllmSection {
  /** The executable `managed` mode launches (`vllm serve ...`). */
  @IsString() @MinLength(1)
  executable: string = 'vllm';

  /** Decides version-dependent flags (e.g. --swap-space, removed in 0.18) and the simulator's request fields. */
  @Matches(/^\d+\.\d+(\.\d+)?/, { message: 'must be a version like 0.11.0' })
  version: string = '0.11.0';

  @IsOptional() @IsString()
  api_key_file?: string;

  @IsInt({ message: 'must be a positive integer (seconds)' }) @Min(1, { message: 'must be a positive integer (seconds)' })
  startup_timeout_seconds: number = 300;

  /** `--enable-auto-tool-choice`: tool_choice "auto" (and `tools` alone) is served; without it vLLM answers 400. */
  @IsBoolean({ message: 'must be true or false' }) @Validate(AutoToolChoiceNeedsParser)
  enable_auto_tool_choice: boolean = false;

  /** `--tool-call-parser`: how vLLM reads tool calls out of the model's text (vLLM's parser names). */
  @IsOptional() @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'must be a vLLM tool parser name (letters, digits, _ . -)' })
  tool_call_parser?: string;

  /** `--chat-template`: a template file (or inline template) instead of the model's own. */
  @IsOptional() @IsString() @MinLength(1)
  chat_template?: string;

  /** `--reasoning-parser`: for models that write their reasoning apart from the answer. */
  @IsOptional() @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'must be a vLLM reasoning parser name (letters, digits, _ . -)' })
  reasoning_parser?: string;

  /**
   * `--distributed-executor-backend`: how vLLM runs its workers (vLLM's choices, vllm/config/parallel.py).
   * `ray` spans hosts (a Ray cluster the engine joins); unset: vLLM decides (`mp` on one host).
   */
  @IsOptional() @IsIn(['ray', 'mp', 'uni', 'external_launcher'], { message: 'must be one of ray, mp, uni, external_launcher' })
  distributed_executor_backend?: 'ray' | 'mp' | 'uni' | 'external_launcher';

  /** More `vllm serve` arguments, one per item, e.g. ['--max-logprobs', '5']; never a flag set above. */
  @Validate(VllmExtraArgs)
  extra_args: string[] = [];
}

export type EngineMode = 'simulated' | 'managed' | 'external';

export class EngineSection {
  @IsIn(['simulated', 'managed', 'external'], { message: 'must be one of simulated, managed, external' })
  mode: EngineMode = 'simulated';

  /** vLLM servers (replicas) for `external` mode. */
  @IsArray({ message: 'must be a list of http(s) URLs' })
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }, { each: true, message: 'must be a list of http(s) URLs' })
  urls: string[] = [];

  @ValidateNested() @Type(() => SimulatorSection)
  simulator: SimulatorSection = new SimulatorSection();

  @ValidateNested() @Type(() => EngineTimeoutsSection)
  timeouts: EngineTimeoutsSection = new EngineTimeoutsSection();

  @ValidateNested() @Type(() => RetrySection)
  retry: RetrySection = new RetrySection();

  @ValidateNested() @Type(() => CircuitBreakerSection)
  circuit_breaker: CircuitBreakerSection = new CircuitBreakerSection();

  @ValidateNested() @Type(() => VllmSection)
  vllm: VllmSection = new VllmSection();
}

/** One model service, as validated from its YAML and environment. */
export class ModelServiceConfig {
  @ValidateNested() @Type(() => ServiceSection)
  service!: ServiceSection;

  @ValidateNested() @Type(() => ModelSection)
  model!: ModelSection;

  @ValidateNested() @Type(() => PerformanceSection)
  performance!: PerformanceSection;

  @ValidateNested() @Type(() => MonitoringSection)
  monitoring!: MonitoringSection;

  @IsOptional() @ValidateNested() @Type(() => RealtimeSection)
  realtime?: RealtimeSection;

  @IsOptional() @ValidateNested() @Type(() => EfficiencySection)
  efficiency?: EfficiencySection;

  @ValidateNested() @Type(() => EngineSection)
  engine: EngineSection = new EngineSection();

  /** The model id (`mixtral-8x7b`): the name of its file, its unit and its metric label. */
  get id(): string {
    return this.service.name;
  }
}
