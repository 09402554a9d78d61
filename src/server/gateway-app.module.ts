import { DynamicModule, Module } from '@nestjs/common';
import { MonitoringHealthModule } from '../monitoring/health/health.module';
import { CompletionForwarder } from '../orchestration/completion-forwarder';
import { InFlightRequests } from '../orchestration/in-flight-requests';
import { ModelDirectory } from '../orchestration/model-directory';
import { ModelRouter } from '../orchestration/model-router';
import { ModelService } from '../services/ai-models/model-service';
import { ResponseStreamer } from '../services/streaming/response-streamer';
import { HealthController } from '../api/health.controller';
import { metricsEndpoint } from '../api/metrics.controller';
import { OpenAIController } from '../api/openai.controller';

/**
 * The unified gateway: the same REST surface over every model, routed by `model`. It holds the
 * model services the model apps built, so both listeners share engines, caps and metrics.
 */
@Module({})
export class GatewayAppModule {
  static forRoot(models: ModelService[], directory = new ModelDirectory()): DynamicModule {
    return {
      module: GatewayAppModule,
      imports: [MonitoringHealthModule, ...metricsEndpoint()],
      controllers: [OpenAIController, HealthController],
      providers: [CompletionForwarder, InFlightRequests, { provide: ModelDirectory, useValue: directory }, ResponseStreamer, { provide: ModelRouter, useValue: new ModelRouter(models) }],
    };
  }
}
