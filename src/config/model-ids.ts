import { MODEL_REGISTRY, modelEntry, ModelId } from './model-registry';

export type { ModelId };

/** The models this server knows (the registry's ids). Config files are named after these ids. */
export const MODEL_IDS: readonly ModelId[] = MODEL_REGISTRY.map((entry) => entry.id);

export function isModelId(value: string): value is ModelId {
  return (MODEL_IDS as readonly string[]).includes(value);
}

/** The seeds' environment prefix for a model: `openchat-3.5` → `OPENCHAT_3_5` (unless its registry entry names one). */
export function envPrefix(id: string): string {
  return modelEntry(id)?.envPrefix ?? id.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}
