import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRng } from '../simulator/prng';
import { planChoice } from '../simulator/text-generator';
import { tokenizerFor } from '../simulator/tokenizer';
import { loadPrompts } from './prompts';
import { scoreAnswer } from './quality-heuristic';
import { loadReferences } from './reference-facts';

/** Mixtral-8x7B's tokenizer: the simulator's words are cut into its pieces, as its chat handler does. */
const mixtral = tokenizerFor({ servedName: 'mistralai/Mixtral-8x7B-Instruct-v0.1', id: 'mixtral-8x7b' });

/**
 * Calibration of the quality heuristic on every test prompt of TC-L1-COMP-MIXTRAL-003: what must
 * fail (the simulator's random words, an echo of the prompt, a good answer's words shuffled) scores
 * below 0.5; hand-written good answers (test/fixtures/quality/good-answers.json) score at least
 * 0.8; a good answer cut in half at max_tokens lands in between. All inputs are deterministic
 * (the simulator's seeded text generator), so these bounds are facts about the heuristic, not luck.
 */
const MAX_TOKENS = 512;
const prompts = loadPrompts();
const references = loadReferences();
const good = JSON.parse(readFileSync(resolve(__dirname, '../../test/fixtures/quality/good-answers.json'), 'utf8')) as Record<string, Record<string, string>>;
const cases = Object.entries(prompts).flatMap(([category, levels]) =>
  Object.entries(levels).map(([level, prompt]) => ({ key: `${category}.${level}`, prompt, good: good[category]?.[level] })),
);

function chat(text: string, finishReason: string) {
  return {
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason }],
    usage: { completion_tokens: mixtral.count(text, false) },
  };
}
const score = (prompt: string, text: string, finishReason: string) => scoreAnswer(chat(text, finishReason), prompt, MAX_TOKENS, references.get(prompt));

/** What the simulator answers (its text generator, as its chat handler calls it). */
function simulated(mode: 'random' | 'echo', prompt: string, seed: number) {
  return planChoice({ maxTokens: 256, minTokens: 0, ignoreEos: false, stop: [], seed, mode, echoSource: prompt, leadingSpace: false, tokenPieces: (t: string) => mixtral.pieces(t), eosText: '</s>' }, 0);
}

/** The first half of the text (at a space), as max_tokens would cut it. */
const firstHalf = (text: string) => text.slice(0, text.lastIndexOf(' ', Math.floor(text.length / 2)));

function shuffledWords(text: string, seed: number): string {
  const rng = createRng(seed);
  const w = text.split(/\s+/);
  for (let i = w.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [w[i], w[j]] = [w[j], w[i]];
  }
  return w.join(' ');
}

describe('quality heuristic calibration, every test prompt', () => {
  it('has a reference entry and a good answer for every test prompt', () => {
    for (const c of cases) {
      expect(references.get(c.prompt)?.key).toBe(c.key);
      expect(typeof c.good).toBe('string');
    }
  });

  it.each(cases.map((c) => [c.key, c] as const))('%s: the simulator\'s random words (100 seeds) score below 0.5', (_key, c) => {
    for (let seed = 1; seed <= 100; seed++) {
      const plan = simulated('random', c.prompt, seed);
      const q = score(c.prompt, plan.text, plan.finishReason);
      if (q.score >= 0.5) throw new Error(`seed ${seed} scores ${q.score}: ${plan.text}`);
    }
  });

  it.each(cases.map((c) => [c.key, c] as const))('%s: an echo of the prompt and the good answer\'s words shuffled score below 0.5', (_key, c) => {
    const echo = simulated('echo', c.prompt, 1);
    expect(echo.text).toBe(c.prompt);
    const echoed = score(c.prompt, echo.text, echo.finishReason);
    expect(echoed.score).toBeLessThan(0.5);
    expect(echoed.notes.some((n) => n.startsWith('repeats the prompt'))).toBe(true);
    for (const seed of [1, 2, 3]) expect(score(c.prompt, shuffledWords(c.good, seed), 'stop').score).toBeLessThan(0.5);
  });

  it.each(cases.map((c) => [c.key, c] as const))('%s: the hand-written good answer scores at least 0.8, cut in half at max_tokens in between', (_key, c) => {
    const full = score(c.prompt, c.good, 'stop');
    expect(full.notes).toEqual([]);
    expect(full.score).toBeGreaterThanOrEqual(0.8);
    const half = score(c.prompt, firstHalf(c.good), 'length');
    expect(half.score).toBeGreaterThanOrEqual(0.5);
    expect(half.score).toBeLessThan(0.8);
  });
});
