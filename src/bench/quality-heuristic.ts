/**
 * A heuristic answer-quality score, 0..1 — not a judgement of meaning. TC-L1-COMP-MIXTRAL-003
 * hard-codes its score (0.85); this one is computed from four things a machine can check:
 *
 * - structure: an OpenAI answer with a non-empty `choices` list whose first choice carries a
 *   non-empty `message.content` (or `text` for completions). Without that the score is 0.
 *   A `finish_reason` of "stop" gives 1, "length" (cut at max_tokens) 0.75, anything else 0.5.
 * - length: the completion's tokens (usage.completion_tokens, else about 4 characters a token)
 *   within max_tokens — over it is 0 (the server ignored the limit) — and at least MIN_WORDS words
 *   (fewer: a proportional share).
 * - repetition: the share of distinct word trigrams (unigrams under 6 words); full credit from
 *   0.9, proportional below (a loop repeating itself scores low).
 * - coverage: the share of the prompt's content terms (4+ letters, not stop or instruction words)
 *   that the answer mentions, matched on their first 5 letters; full credit from half of them.
 *
 * The score is the mean of the four. Random or echoed text from the simulator is scored like
 * any other answer: off-topic text loses the coverage quarter.
 */

export const QUALITY_METHOD =
  'heuristic: mean of structure (choices/message/content/finish_reason), length within max_tokens, ' +
  'repetition (distinct word-trigram ratio), prompt-term coverage; 0 without content';

const MIN_WORDS = 5;
const DISTINCT_FULL_CREDIT = 0.9;
const COVERAGE_FULL_CREDIT = 0.5;
const STEM = 5;

/** Words that say what to do or glue a sentence, not what it is about. */
const NOT_TERMS = new Set(
  (
    'about above after again also among analyze analyse another because been before being below between both ' +
    'compare compose concept considering contrast could create describe different does doing down during each ' +
    'evaluate explain from further give have having here into just like list main make many more most much ' +
    'only other over please points provide short should simple some such summarize than that their them then ' +
    'there these they this those through tell terms text very want what when where which while will with ' +
    'within would write your'
  ).split(' '),
);

export interface QualityScore {
  /** 0..1, the mean of the components (0 when the structure lacks content). */
  score: number;
  components: { structure: number; length: number; repetition: number; coverage: number };
  details: {
    finishReason: string | null;
    completionTokens: number;
    tokenSource: 'usage' | 'estimate';
    words: number;
    ngram: number;
    distinctNgramRatio: number;
    promptTerms: string[];
    coveredTerms: string[];
  };
  /** Why points were lost, one line each. */
  notes: string[];
}

export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
}

/** Distinct n-grams over all n-grams (1 for fewer than n words). */
export function distinctNgramRatio(tokens: readonly string[], n: number): number {
  const total = tokens.length - n + 1;
  if (total <= 0) return 1;
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) seen.add(tokens.slice(i, i + n).join('\u0000'));
  return seen.size / total;
}

/** The prompt's content terms, distinct, in order. */
export function promptTerms(prompt: string): string[] {
  return [...new Set(words(prompt).filter((w) => w.length >= 4 && !NOT_TERMS.has(w) && !/^\d+$/.test(w)))];
}

function contentOf(choice: any): { content?: string; kind: 'chat' | 'completion' | 'none' } {
  if (choice && typeof choice.message === 'object' && choice.message !== null) {
    return { content: typeof choice.message.content === 'string' ? choice.message.content : undefined, kind: 'chat' };
  }
  if (choice && typeof choice.text === 'string') return { content: choice.text, kind: 'completion' };
  return { kind: 'none' };
}

/** Scores one answer (the parsed JSON body) to `prompt` requested with `maxTokens`. */
export function scoreAnswer(response: unknown, prompt: string, maxTokens: number): QualityScore {
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
  const terms = promptTerms(prompt);
  const answerStems = new Set(tokens.map((w) => w.slice(0, STEM)));
  const covered = terms.filter((t) => answerStems.has(t.slice(0, STEM)));
  const details = {
    finishReason,
    completionTokens,
    tokenSource: (typeof usageTokens === 'number' ? 'usage' : 'estimate') as 'usage' | 'estimate',
    words: tokens.length,
    ngram: n,
    distinctNgramRatio: distinct,
    promptTerms: terms,
    coveredTerms: covered,
  };

  if (!body || typeof body !== 'object') notes.push('the answer is not a JSON object');
  else if (!Array.isArray(body.choices) || body.choices.length === 0) notes.push('no choices');
  else if (kind === 'none') notes.push('the first choice has neither message nor text');
  else if (content === undefined) notes.push('message.content is not a string');
  else if (text.trim() === '') notes.push('the content is empty');
  if (notes.length > 0) {
    return { score: 0, components: { structure: 0, length: 0, repetition: 0, coverage: 0 }, details, notes };
  }

  let structure = 1;
  if (finishReason === 'length') {
    structure = 0.75;
    notes.push('cut at max_tokens (finish_reason "length")');
  } else if (finishReason !== 'stop') {
    structure = 0.5;
    notes.push(`finish_reason is ${JSON.stringify(finishReason)}, not "stop" or "length"`);
  }

  let length = 1;
  if (completionTokens > maxTokens) {
    length = 0;
    notes.push(`${completionTokens} completion tokens exceed max_tokens ${maxTokens}`);
  } else if (tokens.length < MIN_WORDS) {
    length = tokens.length / MIN_WORDS;
    notes.push(`only ${tokens.length} word(s)`);
  }

  const repetition = Math.min(1, distinct / DISTINCT_FULL_CREDIT);
  if (repetition < 1) notes.push(`repetitive: ${(distinct * 100).toFixed(0)}% distinct word ${n === 3 ? 'trigrams' : 'words'}`);

  const share = terms.length === 0 ? 1 : covered.length / terms.length;
  const coverage = Math.min(1, share / COVERAGE_FULL_CREDIT);
  if (coverage < 1) notes.push(`mentions ${covered.length} of ${terms.length} prompt terms (${terms.join(', ')})`);

  const score = (structure + length + repetition + coverage) / 4;
  return { score, components: { structure, length, repetition, coverage }, details, notes };
}
