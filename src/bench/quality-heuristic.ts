/**
 * A heuristic answer-quality score, 0..1 — not a judgement of meaning. TC-L1-COMP-MIXTRAL-003
 * hard-codes its score (0.85); this one is computed from what a machine can check, in two parts:
 *
 * form — is it a well-made answer? The lowest of:
 * - structure: an OpenAI answer with a non-empty `choices` list whose first choice carries a
 *   non-empty `message.content` (or `text` for completions); without that the whole score is 0.
 *   A `finish_reason` of "stop" gives 1, "length" (cut at max_tokens) 0.6 — a cut answer is
 *   unfinished and cannot reach 0.8 — anything else 0.5.
 * - length: the completion's tokens (usage.completion_tokens, else about 4 characters a token)
 *   within max_tokens — over it is 0 (the server ignored the limit) — and at least MIN_WORDS words
 *   (fewer: a proportional share).
 * - repetition: the share of distinct word trigrams (unigrams under 6 words); full credit from
 *   0.9, proportional below (a loop repeating itself scores low).
 * - fluency: the fluency heuristic (fluency-heuristic.ts): the share of words in sentences that
 *   read as English; full credit from 0.9, none at 0.5 or below (word salad scores 0).
 * - novelty: the share of the answer's word trigrams that are not in the prompt; full credit
 *   from 0.5 (an echo of the prompt scores 0).
 *
 * content — does it say what a correct answer says? The share of the prompt's reference facts
 * (reference-facts.ts) that the answer says. A prompt without reference facts gets 0 here and a
 * note: coverage is never granted for want of something to check.
 *
 * score = √(form × content): both must be there, neither makes up for the other's absence.
 * A fluent answer saying half the facts scores 0.71; word salad scores 0 however many fact
 * words it holds once half its words sit in sentences the fluency heuristic flags.
 */
import { fluency } from './fluency-heuristic';
import { checkFacts, PromptReference } from './reference-facts';

export const QUALITY_METHOD =
  'heuristic: √(form × content); form = the lowest of structure (choices/message/content/finish_reason), ' +
  'length within max_tokens, repetition (distinct word trigrams), fluency (English function-word rules ' +
  'over wink-nlp part-of-speech tags) and novelty (not an echo of the prompt); content = the share of the ' +
  "prompt's reference facts the answer says; 0 without content";

const MIN_WORDS = 5;
const DISTINCT_FULL_CREDIT = 0.9;
/** Fluency credit rises from 0 at half the words in flagged sentences to 1 at a tenth. */
const FLUENT_NO_CREDIT = 0.5;
const FLUENT_FULL_CREDIT = 0.9;
const NOVEL_FULL_CREDIT = 0.5;

export interface QualityComponents {
  structure: number;
  length: number;
  repetition: number;
  fluency: number;
  novelty: number;
  /** The share of reference facts said. */
  coverage: number;
}

export interface QualityScore {
  /** 0..1: √(form × coverage), 0 when the structure lacks content. */
  score: number;
  /** The lowest of structure, length, repetition, fluency and novelty. */
  form: number;
  components: QualityComponents;
  details: {
    finishReason: string | null;
    completionTokens: number;
    tokenSource: 'usage' | 'estimate';
    words: number;
    ngram: number;
    distinctNgramRatio: number;
    fluentShare: number;
    novelShare: number;
    /** `category.level` of the reference facts used, or null when the prompt has none. */
    reference: string | null;
    factsSaid: string[];
    factsMissing: string[];
  };
  /** Why points were lost, one line each. */
  notes: string[];
}

export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
}

function ngrams(tokens: readonly string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join('\u0000'));
  return out;
}

/** Distinct n-grams over all n-grams (1 for fewer than n words). */
export function distinctNgramRatio(tokens: readonly string[], n: number): number {
  const all = ngrams(tokens, n);
  return all.length === 0 ? 1 : new Set(all).size / all.length;
}

/** The share of the answer's n-grams that are not in the prompt (1 for fewer than n words). */
export function novelShare(answer: readonly string[], prompt: readonly string[], n: number): number {
  const all = ngrams(answer, n);
  if (all.length === 0) return 1;
  const inPrompt = new Set(ngrams(prompt, n));
  return all.filter((g) => !inPrompt.has(g)).length / all.length;
}

function contentOf(choice: any): { content?: string; kind: 'chat' | 'completion' | 'none' } {
  if (choice && typeof choice.message === 'object' && choice.message !== null) {
    return { content: typeof choice.message.content === 'string' ? choice.message.content : undefined, kind: 'chat' };
  }
  if (choice && typeof choice.text === 'string') return { content: choice.text, kind: 'completion' };
  return { kind: 'none' };
}

const credit = (share: number, full: number) => Math.min(1, share / full);

/**
 * Scores one answer (the parsed JSON body) to `prompt` requested with `maxTokens`, against the
 * prompt's reference facts (undefined: the prompt has none, and the answer no coverage).
 */
export function scoreAnswer(response: unknown, prompt: string, maxTokens: number, reference: PromptReference | undefined): QualityScore {
  const notes: string[] = [];
  const body = response as any;
  const choice = Array.isArray(body?.choices) ? body.choices[0] : undefined;
  const { content, kind } = contentOf(choice);
  const finishReason = typeof choice?.finish_reason === 'string' ? choice.finish_reason : null;
  const text = content ?? '';
  const tokens = words(text);
  const usageTokens = body?.usage?.completion_tokens;
  const completionTokens = typeof usageTokens === 'number' ? usageTokens : Math.ceil(text.length / 4);
  const n = tokens.length >= 6 ? 3 : 1;
  const distinct = distinctNgramRatio(tokens, n);
  const novel = novelShare(tokens, words(prompt), n);
  const facts = reference ? checkFacts(text, reference.facts) : { said: [], missing: [] };
  const details: QualityScore['details'] = {
    finishReason,
    completionTokens,
    tokenSource: typeof usageTokens === 'number' ? 'usage' : 'estimate',
    words: tokens.length,
    ngram: n,
    distinctNgramRatio: distinct,
    fluentShare: 0,
    novelShare: novel,
    reference: reference?.key ?? null,
    factsSaid: facts.said,
    factsMissing: facts.missing,
  };

  if (!body || typeof body !== 'object') notes.push('the answer is not a JSON object');
  else if (!Array.isArray(body.choices) || body.choices.length === 0) notes.push('no choices');
  else if (kind === 'none') notes.push('the first choice has neither message nor text');
  else if (content === undefined) notes.push('message.content is not a string');
  else if (text.trim() === '') notes.push('the content is empty');
  if (notes.length > 0) {
    return { score: 0, form: 0, components: { structure: 0, length: 0, repetition: 0, fluency: 0, novelty: 0, coverage: 0 }, details, notes };
  }

  // Each note with the credit its part got: the notes read lowest first, the main reason first.
  const lost: { credit: number; note: string }[] = [];

  let structure = 1;
  if (finishReason === 'length') {
    structure = 0.6;
    lost.push({ credit: structure, note: 'cut at max_tokens (finish_reason "length")' });
  } else if (finishReason !== 'stop') {
    structure = 0.5;
    lost.push({ credit: structure, note: `finish_reason is ${JSON.stringify(finishReason)}, not "stop" or "length"` });
  }

  let length = 1;
  if (completionTokens > maxTokens) {
    length = 0;
    lost.push({ credit: length, note: `${completionTokens} completion tokens exceed max_tokens ${maxTokens}` });
  } else if (tokens.length < MIN_WORDS) {
    length = tokens.length / MIN_WORDS;
    lost.push({ credit: length, note: `only ${tokens.length} word(s)` });
  }

  const repetition = credit(distinct, DISTINCT_FULL_CREDIT);
  if (repetition < 1) lost.push({ credit: repetition, note: `repetitive: ${(distinct * 100).toFixed(0)}% distinct word ${n === 3 ? 'trigrams' : 'words'}` });

  const fluent = fluency(text);
  details.fluentShare = fluent.share;
  const fluencyCredit = Math.max(0, Math.min(1, (fluent.share - FLUENT_NO_CREDIT) / (FLUENT_FULL_CREDIT - FLUENT_NO_CREDIT)));
  if (fluencyCredit < 1) {
    lost.push({
      credit: fluencyCredit,
      note: `not fluent (heuristic): ${(fluent.share * 100).toFixed(0)}% of words in sentences that read as English; e.g. ${fluent.examples[0]}`,
    });
  }

  const novelty = credit(novel, NOVEL_FULL_CREDIT);
  if (novelty < 1) lost.push({ credit: novelty, note: `repeats the prompt: ${(novel * 100).toFixed(0)}% of word ${n === 3 ? 'trigrams' : 'words'} are new` });

  const total = reference?.facts.length ?? 0;
  const coverage = total === 0 ? 0 : facts.said.length / total;
  if (!reference) lost.push({ credit: 0, note: 'no reference facts for this prompt: coverage cannot be measured' });
  else if (coverage < 1) {
    lost.push({ credit: coverage, note: `says ${facts.said.length} of ${total} reference facts of ${reference.key}; missing: ${facts.missing.join(', ')}` });
  }
  notes.push(...lost.sort((a, b) => a.credit - b.credit).map((l) => l.note));

  const form = Math.min(structure, length, repetition, fluencyCredit, novelty);
  const score = Math.sqrt(form * coverage);
  return { score, form, components: { structure, length, repetition, fluency: fluencyCredit, novelty, coverage }, details, notes };
}
