import { hostname } from 'node:os';
import { IsIn, IsInt, IsNumber, IsString, Matches, Min, MinLength } from 'class-validator';

/**
 * The service framework's settings (seed 1.1), from the environment with the seed's defaults.
 * Keys are the environment variables' names so a validation message names what to fix.
 */
export class ServiceManagerConfig {
  @IsIn(['development', 'staging', 'production', 'test'], { message: 'must be one of development, staging, production, test' })
  CITADEL_ENV: string = 'development';

  @IsString() @MinLength(1)
  SERVER_IP: string = '127.0.0.1';

  @IsString() @MinLength(1)
  SERVER_HOSTNAME: string = hostname();

  @Matches(/^\//, { message: 'must be an absolute path' })
  VLLM_SERVICE_TEMPLATE_PATH: string = '/opt/citadel/config/services';

  @Matches(/^\//, { message: 'must be an absolute path' })
  VLLM_LOG_PATH: string = '/var/log/citadel-llm';

  @Matches(/^\//, { message: 'must be an absolute path' })
  VLLM_PID_PATH: string = '/var/run/citadel-llm';

  @Matches(/^[a-z_][a-z0-9_-]*$/, { message: 'must be a valid user name' })
  VLLM_USER: string = 'agent0';

  @Matches(/^[a-z_][a-z0-9_-]*$/, { message: 'must be a valid group name' })
  VLLM_GROUP: string = 'agent0';

  @IsNumber({}, { message: 'must be a positive number (GB)' }) @Min(Number.MIN_VALUE, { message: 'must be a positive number (GB)' })
  DEFAULT_MEMORY_LIMIT_GB: number = 4;

  @IsNumber({}, { message: 'must be a positive number of cores' }) @Min(Number.MIN_VALUE, { message: 'must be a positive number of cores' })
  DEFAULT_CPU_CORES: number = 2;

  @IsInt({ message: 'must be a positive integer' }) @Min(1, { message: 'must be a positive integer' })
  DEFAULT_MAX_TASKS: number = 1000;

  @IsIn(['no', 'always', 'on-success', 'on-failure', 'on-abnormal', 'on-abort', 'on-watchdog'], {
    message: 'must be a systemd Restart= value (no, always, on-success, on-failure, on-abnormal, on-abort, on-watchdog)',
  })
  DEFAULT_RESTART_POLICY: string = 'always';

  @IsInt({ message: 'must be an integer >= 0 (seconds)' }) @Min(0, { message: 'must be an integer >= 0 (seconds)' })
  DEFAULT_RESTART_SEC: number = 10;

  // The seed's Python-style names, for code ported from it.
  get service_template_path(): string { return this.VLLM_SERVICE_TEMPLATE_PATH; }
  get log_path(): string { return this.VLLM_LOG_PATH; }
  get pid_path(): string { return this.VLLM_PID_PATH; }
  get user(): string { return this.VLLM_USER; }
  get group(): string { return this.VLLM_GROUP; }
}

/** Which ServiceManagerConfig keys are numbers (environment strings are converted before validation). */
export const SERVICE_MANAGER_NUMERIC_KEYS = ['DEFAULT_MEMORY_LIMIT_GB', 'DEFAULT_CPU_CORES', 'DEFAULT_MAX_TASKS', 'DEFAULT_RESTART_SEC'] as const;
