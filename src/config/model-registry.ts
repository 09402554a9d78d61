import { ModelServiceConfig } from './model-config';
import { Mixtral8x7BConfig } from './models/mixtral-8x7b.config';
import { OpenChat35Config } from './models/openchat-3.5.config';
import { Phi3MiniConfig } from './models/phi-3-mini.config';
import { TestServiceConfig } from './models/test.config';
import { Yi34BConfig } from './models/yi-34b.config';

export interface ModelEntry {
  /** The model id: its YAML is `config/services/<id>.yaml`, its unit `citadel-llm@<id>`, its metric label. */
  readonly id: string;
  /** The typed class its YAML is validated into (names from the seeds). */
  readonly config: new () => ModelServiceConfig;
  /** The seeds' environment prefix (`OPENCHAT_3_5` for `OPENCHAT_3_5_PORT`); by default the id in capitals. */
  readonly envPrefix?: string;
}

/**
 * Every model this server knows, once. The id list, the config classes, the env prefixes, the
 * allowed fallback ids, the Nest modules (services/ai-models/model-modules.ts) and the
 * simulator's model list all derive from this table: a new model is one entry here and its
 * YAML (and, if it wants its own typed config or module class, those classes).
 */
export const MODEL_REGISTRY = [
  { id: 'mixtral-8x7b', config: Mixtral8x7BConfig },
  { id: 'openchat-3.5', config: OpenChat35Config },
  { id: 'phi-3-mini', config: Phi3MiniConfig },
  { id: 'yi-34b', config: Yi34BConfig },
  // Seed task 1.1's `citadel-llm@test.service`: the simulated engine, disabled unless named.
  // Its own prefix: a bare TEST_PORT is too likely to mean something else in a CI environment.
  { id: 'test', config: TestServiceConfig, envPrefix: 'CITADEL_TEST' },
] as const satisfies readonly ModelEntry[];

export type ModelId = (typeof MODEL_REGISTRY)[number]['id'];

export function modelEntry(id: string): ModelEntry | undefined {
  return (MODEL_REGISTRY as readonly ModelEntry[]).find((entry) => entry.id === id);
}
