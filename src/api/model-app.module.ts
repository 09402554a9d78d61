import { DynamicModule, Module } from '@nestjs/common';
import { ModelServiceConfig } from '../config/model-config';
import { CompletionForwarder } from '../orchestration/completion-forwarder';
import { InFlightRequests } from '../orchestration/in-flight-requests';
import { ModelRouter } from '../orchestration/model-router';
import { ModelModuleOptions } from '../services/ai-models/model-module';
import { modelModuleFor } from '../services/ai-models/model-modules';
import { ModelService } from '../services/ai-models/model-service';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { OpenAIController } from './openai.controller';

/** What listens on a model's own port: its module, OpenAI's REST, /health and /metrics. */
@Module({})
export class ModelAppModule {
  static forRoot(config: ModelServiceConfig, options?: ModelModuleOptions): DynamicModule {
    return {
      module: ModelAppModule,
      imports: [modelModuleFor(config, options)],
      controllers: [OpenAIController, HealthController, MetricsController],
      providers: [
        CompletionForwarder,
        InFlightRequests,
        // A request naming no model gets this port's model.
        { provide: ModelRouter, useFactory: (m: ModelService) => new ModelRouter([m], m), inject: [ModelService] },
      ],
    };
  }
}
