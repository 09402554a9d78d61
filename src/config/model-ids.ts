/** The four models this server knows. Config files are named after these ids. */
export const MODEL_IDS = ['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b'] as const;
export type ModelId = (typeof MODEL_IDS)[number];

export function isModelId(value: string): value is ModelId {
  return (MODEL_IDS as readonly string[]).includes(value);
}

/** The seeds' environment prefix for a model: `openchat-3.5` → `OPENCHAT_3_5`. */
export function envPrefix(id: string): string {
  return id.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}
