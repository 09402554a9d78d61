import { DynamicModule, Provider, Type } from '@nestjs/common';
import { ModelServiceConfig } from '../../config/model-config';
import { ModelMetrics } from '../../monitoring/model-metrics';
import { HttpVllmEngine } from '../core/vllm-engine/http-vllm-engine';
import { EngineSettings, VllmEngine } from '../core/vllm-engine/vllm-engine';
import { ResponseStreamer } from '../streaming/response-streamer';
import { Admission, NoAdmissionRules } from './admission';
import { EngineProcessInfo, ModelService } from './model-service';

export interface ModelModuleOptions {
  /** The engine process, when this server started it (simulated or managed mode). */
  engineProcess?: EngineProcessInfo;
  /** The model's admission rules (the server gives orchestration's); none when the module is used alone. */
  admission?: (config: ModelServiceConfig) => Admission;
  /**
   * The HTTP requests' path, bound to RequestPath, with what it needs (orchestration's
   * `requestPathProviders`): the server's model app gives it, so the service's streams are
   * admitted, counted and aborted as HTTP requests are. Without it the streaming methods refuse.
   */
  requestPath?: Provider[];
}

/** The engine settings a config describes. */
export function engineSettings(config: ModelServiceConfig): EngineSettings {
  const { timeouts: t, retry, circuit_breaker: breaker } = config.engine;
  return {
    urls: config.engine.urls,
    timeouts: { connectMs: t.connect_ms, firstByteMs: t.first_byte_ms, firstTokenMs: t.first_token_ms, idleMs: t.idle_ms },
    retry: { maxAttempts: retry.max_attempts, baseDelayMs: retry.base_delay_ms, maxDelayMs: retry.max_delay_ms, budgetRatio: retry.budget_ratio },
    breaker: { failureThreshold: breaker.failure_threshold, openMs: breaker.open_seconds * 1000 },
  };
}

/** The engine a config describes: its replicas over HTTP, with the configured timeouts. */
export function engineFromConfig(config: ModelServiceConfig): VllmEngine {
  return new HttpVllmEngine({
    model: config.id,
    ...engineSettings(config),
    healthCheckIntervalSeconds: config.monitoring.health_check_interval,
  });
}

/**
 * The one shape every model module has: its config, its engine (an abstract-class token,
 * so tests can override it), admission rules, metrics, and its service class (also provided
 * as ModelService). The four modules differ only in the config they are given.
 */
export function defineModelModule(
  module: Type<unknown>,
  service: Type<ModelService>,
  config: ModelServiceConfig,
  options: ModelModuleOptions = {},
): DynamicModule {
  const providers: Provider[] = [
    { provide: ModelServiceConfig, useValue: config },
    // Also under its typed class (Mixtral8x7BConfig, ...), for code that asks for that.
    ...(config.constructor === ModelServiceConfig ? [] : [{ provide: config.constructor as Type<ModelServiceConfig>, useExisting: ModelServiceConfig }]),
    { provide: VllmEngine, useFactory: engineFromConfig, inject: [ModelServiceConfig] },
    { provide: ModelMetrics, useFactory: (c: ModelServiceConfig) => new ModelMetrics(c.id), inject: [ModelServiceConfig] },
    { provide: Admission, useFactory: (c: ModelServiceConfig) => options.admission?.(c) ?? new NoAdmissionRules(), inject: [ModelServiceConfig] },
    { provide: EngineProcessInfo, useValue: options.engineProcess ?? new EngineProcessInfo() },
    ResponseStreamer,
    ...(options.requestPath ?? []),
    service,
    ...(service === ModelService ? [] : [{ provide: ModelService, useExisting: service }]),
  ];
  return { module, providers, exports: providers.map((p) => ('provide' in p ? p.provide : p)) };
}
