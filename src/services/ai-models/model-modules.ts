import { DynamicModule } from '@nestjs/common';
import { ModelId } from '../../config/model-ids';
import { ModelServiceConfig } from '../../config/model-config';
import { Mixtral8x7BModule } from './mixtral-8x7b/mixtral-8x7b.module';
import { ModelModuleOptions } from './model-module';
import { OpenChat35Module } from './openchat-3.5/openchat-3.5.module';
import { Phi3MiniModule } from './phi-3-mini/phi-3-mini.module';
import { Yi34BModule } from './yi-34b/yi-34b.module';

/** Each model id's Nest module. */
export const MODEL_MODULES: Record<ModelId, { forRoot(config: any, options?: ModelModuleOptions): DynamicModule }> = {
  'mixtral-8x7b': Mixtral8x7BModule,
  'openchat-3.5': OpenChat35Module,
  'phi-3-mini': Phi3MiniModule,
  'yi-34b': Yi34BModule,
};

export function modelModuleFor(config: ModelServiceConfig, options?: ModelModuleOptions): DynamicModule {
  const module = MODEL_MODULES[config.id as ModelId];
  if (!module) throw new Error(`no module for model "${config.id}"`);
  return module.forRoot(config, options);
}
