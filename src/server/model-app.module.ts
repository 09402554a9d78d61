import { DynamicModule, Module } from '@nestjs/common';
import { ModelServiceConfig } from '../config/model-config';
import { MonitoringHealthModule } from '../monitoring/health/health.module';
import { buildAdmission } from '../orchestration/admission-factory';
import { requestPathProviders } from '../orchestration/forwarded-requests';
import { ModelDirectory } from '../orchestration/model-directory';
import { ModelRouter } from '../orchestration/model-router';
import { ModelModuleOptions } from '../services/ai-models/model-module';
import { modelModuleFor } from '../services/ai-models/model-modules';
import { EngineMetricsCollector } from '../services/ai-models/engine-metrics-collector';
import { ModelMonitoring } from '../services/ai-models/model-monitoring';
import { ModelService } from '../services/ai-models/model-service';
import { EfficiencyController } from '../api/efficiency.controller';
import { HealthController } from '../api/health.controller';
import { metricsEndpoint } from '../api/metrics.controller';
import { OpenAIController } from '../api/openai.controller';
import { StreamingMetricsController } from '../api/streaming-metrics.controller';

/**
 * What listens on a model's own port: its module, OpenAI's REST, /health and /metrics, plus
 * /metrics/streaming for a model with a realtime section (OpenChat) and /efficiency and
 * /metrics/efficiency for one with an efficiency section (Phi-3-Mini).
 */
@Module({})
export class ModelAppModule {
  static forRoot(config: ModelServiceConfig, options?: ModelModuleOptions, directory = new ModelDirectory()): DynamicModule {
    return {
      module: ModelAppModule,
      // The forwarder is the model module's, so the service's own streams take the same path as HTTP requests.
      imports: [modelModuleFor(config, { admission: buildAdmission, requestPath: requestPathProviders(directory), ...options }), MonitoringHealthModule, ...metricsEndpoint(config.id)],
      controllers: [
        OpenAIController,
        HealthController,
        ...(config.realtime ? [StreamingMetricsController] : []),
        ...(config.efficiency ? [EfficiencyController] : []),
      ],
      providers: [
        ModelMonitoring,
        EngineMetricsCollector,
        // A request naming no model gets this port's model.
        { provide: ModelRouter, useFactory: (m: ModelService) => new ModelRouter([m], m), inject: [ModelService] },
      ],
    };
  }
}
