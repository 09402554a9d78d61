import { DynamicModule, Injectable, Module } from '@nestjs/common';
import { defineModelModule, ModelModuleOptions } from '../model-module';
import { ModelService } from '../model-service';
import { Yi34BConfig } from '../../../config/models/yi-34b.config';

/** Yi-34B-Chat: a large dense model, tensor-parallel on two GPUs. */
@Injectable()
export class Yi34BService extends ModelService {}

@Module({})
export class Yi34BModule {
  static forRoot(config: Yi34BConfig, options?: ModelModuleOptions): DynamicModule {
    return defineModelModule(Yi34BModule, Yi34BService, config, options);
  }
}
