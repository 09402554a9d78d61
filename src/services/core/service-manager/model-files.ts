import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** What a Hugging Face model directory holds, as far as the pre-start checks need it. */
export interface ModelDirectory {
  dir: string;
  hasConfig: boolean;
  /** Weight files (`*.safetensors`, `*.bin`) in the directory itself. */
  weights: { name: string; bytes: number }[];
  /** `metadata.total_size` of the safetensors (or PyTorch) index, when there is one. */
  indexTotalSize?: number;
  /** Files the index's weight_map names that are not in the directory. */
  missingShards: string[];
}

export const WEIGHT_INDEXES = ['model.safetensors.index.json', 'pytorch_model.bin.index.json'];

export async function inspectModelDirectory(dir: string): Promise<ModelDirectory> {
  const names = await readdir(dir);
  const weights: { name: string; bytes: number }[] = [];
  for (const name of names.filter((n) => n.endsWith('.safetensors') || n.endsWith('.bin')).sort()) {
    const info = await stat(join(dir, name));
    if (info.isFile()) weights.push({ name, bytes: info.size });
  }
  const result: ModelDirectory = { dir, hasConfig: names.includes('config.json'), weights, missingShards: [] };
  const indexName = WEIGHT_INDEXES.find((n) => names.includes(n));
  if (indexName) {
    const index = JSON.parse(await readFile(join(dir, indexName), 'utf8')) as { metadata?: { total_size?: unknown }; weight_map?: Record<string, unknown> };
    const total = index.metadata?.total_size;
    if (typeof total === 'number' && Number.isFinite(total) && total >= 0) result.indexTotalSize = total;
    const shards = new Set(Object.values(index.weight_map ?? {}).filter((v): v is string => typeof v === 'string'));
    result.missingShards = [...shards].filter((s) => !weights.some((w) => w.name === s)).sort();
  }
  return result;
}

/** The longest context the model's config.json allows, and which key said so. */
export interface ContextLimit {
  tokens: number;
  key: string;
  note?: string;
}

const CONTEXT_KEYS = ['max_position_embeddings', 'n_positions', 'max_seq_len', 'seq_length', 'max_sequence_length'];

/**
 * Reads the context limit from config.json: `max_position_embeddings` or a model family's
 * equivalent, scaled by a linear/dynamic/yarn `rope_scaling.factor` as vLLM does (approximately).
 */
export function contextLimit(config: Record<string, unknown>): ContextLimit | undefined {
  const source = (config.text_config && typeof config.text_config === 'object' ? { ...config, ...(config.text_config as object) } : config) as Record<string, unknown>;
  const key = CONTEXT_KEYS.find((k) => typeof source[k] === 'number' && (source[k] as number) > 0);
  if (!key) return undefined;
  let tokens = source[key] as number;
  let note: string | undefined;
  const rope = source.rope_scaling as Record<string, unknown> | null | undefined;
  const kind = rope && (rope.rope_type ?? rope.type);
  if (rope && typeof rope.factor === 'number' && rope.factor > 1 && typeof kind === 'string' && ['linear', 'dynamic', 'yarn'].includes(kind)) {
    const base = kind === 'yarn' && typeof rope.original_max_position_embeddings === 'number' ? rope.original_max_position_embeddings : tokens;
    tokens = Math.floor(base * rope.factor);
    note = `${key} with ${kind} rope scaling x${rope.factor}`;
  }
  return { tokens, key, note };
}
