/** What the handlers share: resolved options, one engine per model, fault state. */
import type { ServerResponse } from 'node:http';
import { modelNotFound } from './errors';
import type { FaultState } from './faults';
import type { SimModelMetrics, SimMetrics } from './metrics';
import type { ResponseStore } from './responses/store';
import type { Scheduler } from './scheduler';
import type { ModelTokenizer } from './tokenizer';
import type { SimulatorModel } from './types';
import type { VersionFeatures } from './vllm-version';

export interface Engine {
  model: SimulatorModel;
  scheduler: Scheduler;
  metrics: SimModelMetrics;
  /** The model's own tokenizer and chat template. */
  tokenizer: ModelTokenizer;
}

/** A LoRA adapter served on an engine (vLLM's static `--lora-modules`). */
export interface Adapter {
  name: string;
  path: string;
  engine: Engine;
}

export interface SimContext {
  readonly engines: ReadonlyMap<string, Engine>;
  /** LoRA adapters by name: each is served by its base model's engine. */
  readonly adapters: ReadonlyMap<string, Adapter>;
  readonly defaultEngine: Engine;
  readonly outputMode: 'random' | 'echo';
  readonly seed: number;
  readonly vllmVersion: string;
  /** The request fields that version knows. */
  readonly features: VersionFeatures;
  readonly faults: FaultState;
  readonly metrics: SimMetrics;
  /** Requests held open by the hang fault. */
  readonly hanging: Set<ServerResponse>;
  /** The Responses API store (vLLM's, off unless enabled). */
  readonly responses: ResponseStore;
  /** Hanging requests whose client left. */
  hangAborted: number;
}

/**
 * The engine a `model` field names (a served name or a LoRA adapter's name): absent means the
 * first model; an unknown name is vLLM's 404 (serving_engine.py `_check_model`).
 */
export function resolveEngine(ctx: SimContext, model: string | null): Engine {
  if (model === null) return ctx.defaultEngine;
  const engine = ctx.engines.get(model) ?? ctx.adapters.get(model)?.engine;
  if (!engine) throw modelNotFound(model);
  return engine;
}

/** The `model` an answer names: the adapter's name when one was asked for, as vLLM's `model_name(lora_request)`. */
export function answeringModel(engine: Engine, requested: string | null): string {
  return requested ?? engine.model.servedName;
}
