/**
 * The test prompts of TC-L1-COMP-MIXTRAL-003 (its "Test Data"), shipped as
 * bench/data/performance_test_prompts.json: category → level → prompt.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export type PromptSet = Record<string, Record<string, string>>;

/** The package's bench/ folder (from src/bench or dist/bench alike). */
export const BENCH_DIR = resolve(__dirname, '..', '..', 'bench');
export const DEFAULT_PROMPTS_FILE = resolve(BENCH_DIR, 'data', 'performance_test_prompts.json');

/** The prompts each certification step uses, as the seed names them. */
export const CERTIFY_PROMPTS = {
  single: ['reasoning', 'complex'],
  throughput: ['reasoning', 'simple'],
  concurrent: ['analysis', 'medium'],
  quality: ['generation', 'creative'],
} as const;

/** Reads and checks a prompt file: an object of objects of non-empty strings, holding the four the steps use. */
export function loadPrompts(file = DEFAULT_PROMPTS_FILE): PromptSet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the prompts from ${file}: ${(error as Error).message}`);
  }
  const problems: string[] = [];
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${file}: must be a JSON object of categories`);
  for (const [category, levels] of Object.entries(parsed)) {
    if (!levels || typeof levels !== 'object' || Array.isArray(levels)) {
      problems.push(`${category}: must be an object of prompts`);
      continue;
    }
    for (const [level, prompt] of Object.entries(levels)) {
      if (typeof prompt !== 'string' || prompt.trim() === '') problems.push(`${category}.${level}: must be a non-empty string`);
    }
  }
  const set = parsed as PromptSet;
  for (const [category, level] of Object.values(CERTIFY_PROMPTS)) {
    if (typeof set[category]?.[level] !== 'string') problems.push(`${category}.${level}: missing (the certification uses it)`);
  }
  if (problems.length) throw new Error(`${file}: ${problems.join('; ')}`);
  return set;
}

/** Every prompt of the set, in file order (the load test cycles through them). */
export function allPrompts(set: PromptSet): string[] {
  return Object.values(set).flatMap((levels) => Object.values(levels));
}
