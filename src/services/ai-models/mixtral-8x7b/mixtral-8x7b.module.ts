import { DynamicModule, Injectable, Module } from '@nestjs/common';
import { defineModelModule, ModelModuleOptions } from '../model-module';
import { ModelService } from '../model-service';
import { Mixtral8x7BConfig } from '../../../config/models/mixtral-8x7b.config';

/** Mixtral-8x7B-Instruct (seed 1.2): the primary large model. */
@Injectable()
export class Mixtral8x7BService extends ModelService {}

@Module({})
export class Mixtral8x7BModule {
  static forRoot(config: Mixtral8x7BConfig, options?: ModelModuleOptions): DynamicModule {
    return defineModelModule(Mixtral8x7BModule, Mixtral8x7BService, config, options);
  }
}
