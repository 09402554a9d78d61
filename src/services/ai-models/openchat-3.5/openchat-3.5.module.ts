import { DynamicModule, Injectable, Module } from '@nestjs/common';
import { defineModelModule, ModelModuleOptions } from '../model-module';
import { ModelService } from '../model-service';
import { OpenChat35Config } from '../../../config/models/openchat-3.5.config';

/** OpenChat-3.5 (seed 1.4): the real-time interactive model; its realtime section switches on the stream cap. */
@Injectable()
export class OpenChat35Service extends ModelService {}

@Module({})
export class OpenChat35Module {
  static forRoot(config: OpenChat35Config, options?: ModelModuleOptions): DynamicModule {
    return defineModelModule(OpenChat35Module, OpenChat35Service, config, options);
  }
}
