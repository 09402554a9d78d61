import { instanceToInstance } from 'class-transformer';
import { CitadelConfig } from '../config/citadel-config';
import { ModelServiceConfig } from '../config/model-config';
import { ModelMetrics } from '../monitoring/model-metrics';
import { NoAdmissionRules } from '../services/ai-models/admission';
import { engineSettings } from '../services/ai-models/model-module';
import { ModelService } from '../services/ai-models/model-service';
import { HttpVllmEngine } from '../services/core/vllm-engine/http-vllm-engine';

/**
 * Added to a model's first-byte, first-token and idle timeouts on the gateway's hop to its model
 * service: the model service times its engine from a moment later than the gateway does, so with
 * equal timers the gateway would cut the request just before the service's own, more precise
 * answer (its 504 naming the engine). A heuristic: one second covers a loaded hop on one network.
 */
export const HOP_TIMEOUT_MARGIN_MS = 1_000;

/** Where `citadel-llm gateway` reaches a model: `gateway.services`, else its service port on this host. */
export function modelServiceUrls(config: CitadelConfig, model: ModelServiceConfig): string[] {
  return config.gateway.services[model.id] ?? [`http://127.0.0.1:${model.service.port}`];
}

/**
 * The gateway's view of a model served by another process (`citadel-llm serve <model>`, here or
 * on other hosts): the same ModelService the in-process gateway routes to, whose engine is the
 * engine pool (HttpVllmEngine) over the model services' URLs instead of vLLM's. A model service
 * speaks vLLM's OpenAI surface and answers /health, so the pool's least-in-flight choice, health
 * probes, outlier ejection, circuit breakers, retries before the first byte and back-pressure
 * rules apply to the hop unchanged.
 *
 * Admission (caps, stream caps, Phi-3's throttle) stays with the model services, which hold one
 * count per model whatever the number of gateway replicas: the gateway relays their 429s.
 */
export function modelServiceUpstream(model: ModelServiceConfig, urls: string[], serviceKey: string): ModelService {
  const config = hopConfig(model, urls);
  const engine = new HttpVllmEngine({
    model: model.id,
    ...engineSettings(config),
    healthCheckIntervalSeconds: config.monitoring.health_check_interval,
    apiKey: serviceKey || undefined,
  });
  return new ModelService(config, engine, new NoAdmissionRules(), new ModelMetrics(model.id));
}

/**
 * The model's config as the gateway uses it: `external` mode over the model services' URLs (no
 * engine process or weights here, so no disk check), timeouts with the hop's margin.
 */
export function hopConfig(model: ModelServiceConfig, urls: string[]): ModelServiceConfig {
  const config = instanceToInstance(model);
  config.engine.mode = 'external';
  config.engine.urls = urls;
  const t = config.engine.timeouts;
  t.first_byte_ms += HOP_TIMEOUT_MARGIN_MS;
  t.first_token_ms += HOP_TIMEOUT_MARGIN_MS;
  t.idle_ms += HOP_TIMEOUT_MARGIN_MS;
  if (config.realtime) config.realtime.connection_timeout_seconds += HOP_TIMEOUT_MARGIN_MS / 1000;
  return config;
}
