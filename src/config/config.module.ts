import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { CitadelConfig } from './citadel-config';

/**
 * Makes the configuration validated at boot injectable: `CitadelConfig` itself, and through
 * @nestjs/config's ConfigService (`config.get('gateway.port')`, `config.get('models')`).
 * It never reads the environment again.
 */
@Global()
@Module({})
export class CitadelConfigModule {
  static forRoot(config: CitadelConfig): DynamicModule {
    return {
      module: CitadelConfigModule,
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          ignoreEnvVars: true,
          load: [() => ({ gateway: config.gateway, models: Object.fromEntries(config.models.map((m) => [m.id, m])), serviceManager: config.serviceManager })],
        }),
      ],
      providers: [{ provide: CitadelConfig, useValue: config }],
      exports: [CitadelConfig, ConfigModule],
    };
  }
}
