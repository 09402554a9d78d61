import { DynamicModule, Injectable, Module } from '@nestjs/common';
import { defineModelModule, ModelModuleOptions } from '../model-module';
import { ModelService } from '../model-service';
import { Phi3MiniConfig } from '../../../config/models/phi-3-mini.config';

/** Phi-3-Mini (seed 1.5): the efficiency-optimised model. */
@Injectable()
export class Phi3MiniService extends ModelService {}

@Module({})
export class Phi3MiniModule {
  static forRoot(config: Phi3MiniConfig, options?: ModelModuleOptions): DynamicModule {
    return defineModelModule(Phi3MiniModule, Phi3MiniService, config, options);
  }
}
