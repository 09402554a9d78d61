import { IsBoolean, IsInt, IsObject, IsString, Max, Min, MinLength } from 'class-validator';

/** The unified gateway (`config/gateway.yaml`, section `gateway`). */
export class GatewayConfig {
  @IsBoolean({ message: 'must be true or false' })
  enabled: boolean = true;

  @IsInt({ message: 'must be an integer port from 1 to 65535' }) @Min(0, { message: 'must be an integer port from 1 to 65535' }) @Max(65535, { message: 'must be an integer port from 1 to 65535' })
  port: number = 8000;

  @IsString() @MinLength(1)
  host: string = '0.0.0.0';

  @IsInt({ message: 'must be a positive integer (bytes)' }) @Min(1024, { message: 'must be at least 1024 bytes' })
  max_body_bytes: number = 4 * 1024 * 1024;

  /**
   * `citadel-llm gateway` only: where each model's service answers, by model id, one URL or
   * more (model services on several hosts; the gateway balances across them like an engine's
   * replicas). A model not listed is reached at `http://127.0.0.1:<its service.port>`. The loader
   * checks the ids and URLs.
   */
  @IsObject({ message: 'must be a mapping of model id to a list of URLs' })
  services: Record<string, string[]> = {};

  /**
   * The key the gateway sends to model services (`Authorization: Bearer`), from
   * CITADEL_MODEL_SERVICE_KEY or CITADEL_MODEL_SERVICE_KEY_FILE only (never from YAML: a secret).
   * Empty: none is sent.
   */
  @IsString()
  service_key: string = '';
}
