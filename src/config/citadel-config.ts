import { ServiceManagerConfig } from './service-manager.config';
import { GatewayConfig } from './gateway-config';
import { ModelServiceConfig } from './model-config';
import { SecurityConfig } from './security-config';

/** Everything validated at boot. Nothing reads process.env after this exists. */
export class CitadelConfig {
  private readonly byId: Map<string, ModelServiceConfig>;

  constructor(
    readonly configDir: string,
    readonly models: readonly ModelServiceConfig[],
    readonly gateway: GatewayConfig,
    readonly serviceManager: ServiceManagerConfig,
    readonly warnings: readonly string[],
    readonly security: SecurityConfig = new SecurityConfig(),
  ) {
    this.byId = new Map(models.map((m) => [m.id, m]));
  }

  model(id: string): ModelServiceConfig | undefined {
    return this.byId.get(id);
  }
}
