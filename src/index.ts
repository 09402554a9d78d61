/**
 * The package's public entry (package.json `exports`): what a user's code and tests import
 * (README "Using the modules in your own tests"). The command line is `bin/citadel-llm`.
 */
// Nest's decorators read this metadata as the classes below are defined.
import 'reflect-metadata';

// Configuration: loaded, overridden from the environment and validated once (README "Configuration").
export { loadCitadelConfig } from './config/config-loader';
export type { LoadOptions } from './config/config-loader';
export { CitadelConfig } from './config/citadel-config';
export { ModelServiceConfig } from './config/model-config';
export { Mixtral8x7BConfig } from './config/models/mixtral-8x7b.config';
export { OpenChat35Config } from './config/models/openchat-3.5.config';
export { Phi3MiniConfig } from './config/models/phi-3-mini.config';
export { Yi34BConfig } from './config/models/yi-34b.config';

// The model modules and services (seed tasks 1.2-1.5), and the engine they call.
export { ModelService, EngineProcessInfo } from './services/ai-models/model-service';
export type { ChatMessage, GenerationOptions } from './services/ai-models/model-service';
export type { ChatCompletionChunk, ChatStreamRequest, CompletionChunk, CompletionStreamRequest } from './services/ai-models/request-types';
export type { ModelModuleOptions } from './services/ai-models/model-module';
export { Mixtral8x7BModule, Mixtral8x7BService } from './services/ai-models/mixtral-8x7b/mixtral-8x7b.module';
export { OpenChat35Module, OpenChat35Service } from './services/ai-models/openchat-3.5/openchat-3.5.module';
export { Phi3MiniModule, Phi3MiniService } from './services/ai-models/phi-3-mini/phi-3-mini.module';
export { Yi34BModule, Yi34BService } from './services/ai-models/yi-34b/yi-34b.module';
export { VllmEngine } from './services/core/vllm-engine/vllm-engine';
export type { EngineCall, EngineReply, UpstreamState } from './services/core/vllm-engine/vllm-engine';

// TC-L1-COMP-MIXTRAL-003's names for the Mixtral-8x7B service and its config class: the same classes
// (so `module.get(MixtralService)` is the Mixtral8x7BService the module provides).
export { Mixtral8x7BService as MixtralService } from './services/ai-models/mixtral-8x7b/mixtral-8x7b.module';
export { Mixtral8x7BConfig as MixtralServiceConfig } from './config/models/mixtral-8x7b.config';

// A model's port as the server runs it (REST, health, metrics), and its HTTP app for in-process tests.
export { ModelAppModule } from './server/model-app.module';
export { createTestingHttpApp } from './api/http-app';
export type { HttpAppOptions } from './api/http-app';
export { ApiError } from './common/api-error';

// The vLLM simulator, the engine of every test.
export { startSimulator } from './simulator/sim-server';
export { simulatorModelFromConfig } from './simulator/model-from-config';
export { INSTANT_PROFILE } from './simulator/profiles';
export type { RunningSimulator, SimulatorOptions } from './simulator/types';
