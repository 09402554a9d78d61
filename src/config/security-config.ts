import { createHash } from 'node:crypto';
import { IsArray, IsBoolean, IsInt, IsString, Max, Min } from 'class-validator';

/**
 * Who may call, from the environment: CITADEL_API_KEYS (comma-separated), CITADEL_API_KEY_FILE
 * (one key per line), CITADEL_PROTECT_METRICS, CITADEL_CORS_ORIGINS, and request limits.
 * Keys are kept only as SHA-256 digests.
 */
export class SecurityConfig {
  /** SHA-256 digests of the accepted keys; empty = no authentication. */
  @IsArray() @IsString({ each: true })
  api_key_digests: string[] = [];

  /** Whether /metrics (and the metrics ports) also need a key. */
  @IsBoolean({ message: 'must be true or false' })
  protect_metrics: boolean = false;

  /** Origins allowed by CORS; empty = CORS off. */
  @IsArray() @IsString({ each: true, message: 'must be a list of origins' })
  cors_origins: string[] = [];

  /** Deepest JSON nesting accepted in a request body. */
  @IsInt({ message: 'must be an integer from 2 to 1000' }) @Min(2, { message: 'must be an integer from 2 to 1000' }) @Max(1000, { message: 'must be an integer from 2 to 1000' })
  max_json_depth: number = 32;

  /** Most values (objects, arrays, strings, numbers) in one request body. */
  @IsInt({ message: 'must be a positive integer' }) @Min(100, { message: 'must be at least 100' })
  max_json_nodes: number = 200_000;

  /** Time for a client to send its request headers (slow clients are cut). */
  @IsInt({ message: 'must be a positive integer (ms)' }) @Min(1000, { message: 'must be at least 1000 ms' })
  headers_timeout_ms: number = 30_000;

  /** Time for a client to send its whole request (headers and body); never the answer. */
  @IsInt({ message: 'must be a positive integer (ms)' }) @Min(1000, { message: 'must be at least 1000 ms' })
  request_timeout_ms: number = 60_000;

  /** How long an idle keep-alive connection stays open: above load balancers' usual 60 s. */
  @IsInt({ message: 'must be a positive integer (ms)' }) @Min(1000, { message: 'must be at least 1000 ms' })
  keep_alive_timeout_ms: number = 72_000;

  /**
   * Client connections the process may hold across all its listeners; 0 = the soft descriptor
   * limit less a reserve for engine sockets (a quarter of it, at least 64).
   */
  @IsInt({ message: 'must be a non-negative integer' }) @Min(0, { message: 'must be a non-negative integer' })
  max_client_connections: number = 0;

  /**
   * On SIGTERM, how long /health/ready answers 503 while every other request is still served,
   * before the listeners stop taking requests and those in flight drain: time for a load
   * balancer or kubelet to see the instance not ready and send nothing more. 0: drain at once.
   */
  @IsInt({ message: 'must be a non-negative integer (ms)' }) @Min(0, { message: 'must be a non-negative integer (ms)' })
  shutdown_delay_ms: number = 0;

  /** One access-log line per request (no prompt, body or key in it). */
  @IsBoolean({ message: 'must be true or false' })
  access_log: boolean = true;
}

export function digestKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The environment variables of SecurityConfig's plain keys. */
export const SECURITY_ENV_KEYS = [
  ['CITADEL_PROTECT_METRICS', 'protect_metrics', 'bool'],
  ['CITADEL_CORS_ORIGINS', 'cors_origins', 'list'],
  ['CITADEL_MAX_JSON_DEPTH', 'max_json_depth', 'int'],
  ['CITADEL_MAX_JSON_NODES', 'max_json_nodes', 'int'],
  ['CITADEL_HEADERS_TIMEOUT_MS', 'headers_timeout_ms', 'int'],
  ['CITADEL_REQUEST_TIMEOUT_MS', 'request_timeout_ms', 'int'],
  ['CITADEL_KEEP_ALIVE_TIMEOUT_MS', 'keep_alive_timeout_ms', 'int'],
  ['CITADEL_MAX_CLIENT_CONNECTIONS', 'max_client_connections', 'int'],
  ['CITADEL_ACCESS_LOG', 'access_log', 'bool'],
  ['CITADEL_SHUTDOWN_DELAY_MS', 'shutdown_delay_ms', 'int'],
] as const;
