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

export interface SimContext {
  readonly engines: ReadonlyMap<string, Engine>;
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

/** The engine a `model` field names: absent means the first model; an unknown name is vLLM's 404. */
export function resolveEngine(ctx: SimContext, model: string | null): Engine {
  if (model === null) return ctx.defaultEngine;
  const engine = ctx.engines.get(model);
  if (!engine) throw modelNotFound(model);
  return engine;
}
