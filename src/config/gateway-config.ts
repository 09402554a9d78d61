import { IsBoolean, IsInt, IsString, Max, Min, MinLength } from 'class-validator';

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
}
