/**
 * Reference facts of the test prompts (bench/data/performance_test_references.json): what a
 * correct answer to each prompt says, as checkable items with their source. The quality
 * heuristic's coverage is the share of them an answer says.
 *
 * An item with `all` is said when one sentence or line of the answer matches, for every group,
 * one of its alternatives (case-insensitive regular expressions matched as whole words): "learns
 * from data" is [["learn\\w*", "train\\w*"], ["data", "examples?"]], both in the same sentence.
 * `min_lines` and `min_sentences` ask for that many non-empty lines or sentences (a poem in verse).
 * Entries are found by the prompt's exact text, so a changed prompt has no references (and no
 * coverage credit) until someone writes them.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BENCH_DIR } from './prompts';

export const DEFAULT_REFERENCES_FILE = resolve(BENCH_DIR, 'data', 'performance_test_references.json');

export interface ReferenceFact {
  id: string;
  /** What a correct answer says, in words. */
  says: string;
  /** Groups of alternatives: one of each group in the same sentence or line. */
  all?: string[][];
  min_lines?: number;
  min_sentences?: number;
  /** Where the fact comes from. */
  source: string;
}

export interface PromptReference {
  /** `category.level` in the prompt file. */
  key: string;
  prompt: string;
  facts: ReferenceFact[];
}

/** Prompt text → its references. */
export type ReferenceSet = Map<string, PromptReference>;

export interface FactCheck {
  said: string[];
  missing: string[];
}

const compiled = new WeakMap<ReferenceFact, RegExp[][]>();

function alternativesOf(fact: ReferenceFact): RegExp[][] {
  let groups = compiled.get(fact);
  if (!groups) {
    // Whole words: no letter or digit right before or after the match.
    groups = (fact.all ?? []).map((group) => group.map((alt) => new RegExp(`(?<![\\p{L}\\p{N}])(?:${alt})(?![\\p{L}\\p{N}])`, 'iu')));
    compiled.set(fact, groups);
  }
  return groups;
}

/** Sentences and lines, the units a fact's groups must share. */
export function textUnits(text: string): string[] {
  return text
    .split(/\n+|(?<=[.!?])\s+/)
    .map((u) => u.trim())
    .filter((u) => /[\p{L}\p{N}]/u.test(u));
}

export function factSaid(fact: ReferenceFact, text: string): boolean {
  const units = textUnits(text);
  if (fact.min_lines !== undefined && text.split('\n').filter((l) => /[\p{L}\p{N}]/u.test(l)).length < fact.min_lines) return false;
  if (fact.min_sentences !== undefined && units.length < fact.min_sentences) return false;
  const groups = alternativesOf(fact);
  return groups.length === 0 || units.some((unit) => groups.every((group) => group.some((re) => re.test(unit))));
}

export function checkFacts(text: string, facts: readonly ReferenceFact[]): FactCheck {
  const said: string[] = [];
  const missing: string[] = [];
  for (const fact of facts) (factSaid(fact, text) ? said : missing).push(fact.id);
  return { said, missing };
}

function problemsOf(key: string, entry: any): string[] {
  const problems: string[] = [];
  if (!entry || typeof entry !== 'object') return [`${key}: must be an object with prompt and facts`];
  if (typeof entry.prompt !== 'string' || entry.prompt.trim() === '') problems.push(`${key}.prompt: must be a non-empty string`);
  if (!Array.isArray(entry.facts) || entry.facts.length === 0) return [...problems, `${key}.facts: must be a non-empty list`];
  const ids = new Set<string>();
  entry.facts.forEach((f: any, i: number) => {
    const at = `${key}.facts[${i}]`;
    if (typeof f?.id !== 'string' || f.id === '') problems.push(`${at}.id: must be a non-empty string`);
    else if (ids.has(f.id)) problems.push(`${at}.id: "${f.id}" repeats`);
    else ids.add(f.id);
    if (typeof f?.says !== 'string' || f.says === '') problems.push(`${at}.says: must be a non-empty string`);
    if (typeof f?.source !== 'string' || f.source === '') problems.push(`${at}.source: must say where the fact comes from`);
    const checks = ['all', 'min_lines', 'min_sentences'].filter((k) => f?.[k] !== undefined);
    if (checks.length === 0) problems.push(`${at}: needs "all", "min_lines" or "min_sentences"`);
    for (const k of ['min_lines', 'min_sentences']) {
      if (f?.[k] !== undefined && !(Number.isInteger(f[k]) && f[k] > 0)) problems.push(`${at}.${k}: must be a positive integer`);
    }
    if (f?.all !== undefined) {
      const ok = Array.isArray(f.all) && f.all.length > 0 && f.all.every((g: unknown) => Array.isArray(g) && g.length > 0 && g.every((a) => typeof a === 'string' && a !== ''));
      if (!ok) problems.push(`${at}.all: must be a non-empty list of non-empty lists of patterns`);
      else {
        for (const alt of f.all.flat()) {
          try {
            new RegExp(alt, 'iu');
          } catch (error) {
            problems.push(`${at}.all: ${(error as Error).message}`);
          }
        }
      }
    }
  });
  return problems;
}

/** Reads and checks a reference file: category → level → { prompt, facts }. */
export function loadReferences(file = DEFAULT_REFERENCES_FILE): ReferenceSet {
  let parsed: any;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the reference facts from ${file}: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${file}: must be a JSON object of categories`);
  const set: ReferenceSet = new Map();
  const problems: string[] = [];
  for (const [category, levels] of Object.entries<any>(parsed)) {
    if (category.startsWith('$')) continue; // $comment
    if (!levels || typeof levels !== 'object' || Array.isArray(levels)) {
      problems.push(`${category}: must be an object of prompts`);
      continue;
    }
    for (const [level, entry] of Object.entries<any>(levels)) {
      const key = `${category}.${level}`;
      const found = problemsOf(key, entry);
      problems.push(...found);
      if (found.length === 0) set.set(entry.prompt, { key, prompt: entry.prompt, facts: entry.facts });
    }
  }
  if (problems.length) throw new Error(`${file}: ${problems.join('; ')}`);
  return set;
}
