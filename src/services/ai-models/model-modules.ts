import { DynamicModule, Module } from '@nestjs/common';
import { ModelServiceConfig } from '../../config/model-config';
import { MODEL_IDS, ModelId } from '../../config/model-ids';
import { Mixtral8x7BModule } from './mixtral-8x7b/mixtral-8x7b.module';
import { defineModelModule, ModelModuleOptions } from './model-module';
import { ModelService } from './model-service';
import { OpenChat35Module } from './openchat-3.5/openchat-3.5.module';
import { Phi3MiniModule } from './phi-3-mini/phi-3-mini.module';
import { Yi34BModule } from './yi-34b/yi-34b.module';

interface ModelModuleClass {
  forRoot(config: any, options?: ModelModuleOptions): DynamicModule;
}

/** The shared module of a registered model that has no module class of its own. */
@Module({})
export class SharedModelModule {
  static forRoot(config: ModelServiceConfig, options?: ModelModuleOptions): DynamicModule {
    return defineModelModule(SharedModelModule, ModelService, config, options);
  }
}

/** The models with a module class of their own (the seeds' names, for users' imports). */
const NAMED_MODULES: Partial<Record<string, ModelModuleClass>> = {
  'mixtral-8x7b': Mixtral8x7BModule,
  'openchat-3.5': OpenChat35Module,
  'phi-3-mini': Phi3MiniModule,
  'yi-34b': Yi34BModule,
};

/** Each registered model id's Nest module (config/model-registry.ts lists the ids). */
export const MODEL_MODULES = Object.fromEntries(MODEL_IDS.map((id) => [id, NAMED_MODULES[id] ?? SharedModelModule])) as Record<ModelId, ModelModuleClass>;

export function modelModuleFor(config: ModelServiceConfig, options?: ModelModuleOptions): DynamicModule {
  const module = MODEL_MODULES[config.id as ModelId];
  if (!module) throw new Error(`no module for model "${config.id}"`);
  return module.forRoot(config, options);
}
