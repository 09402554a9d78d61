/**
 * Deterministic output text. For a given seed, echo source and choice index the tokens are always
 * the same, so tests can assert content.
 *
 * - 'random' draws short words from a fixed vocabulary (each word, with or without a leading space
 *   and capitalised or not, is one token in Mistral-7B's and Llama-2's vocabularies, so the count of
 *   steps is the model tokenizer's count of the text; tokenizer.spec.ts checks it) with a
 *   seeded PRNG, in sentences; after a sentence ends it may draw an end-of-sequence.
 * - 'echo' repeats the prompt's tokens, then ends (cycling again when it must go on).
 *
 * The whole choice is planned up front; the scheduler only decides when each token is released.
 * Like vLLM, an end-of-sequence is a generated token with no text (it counts in completion_tokens),
 * EOS and stop strings are ignored until min_tokens tokens exist, and a stop string is cut from the
 * text (finish_reason 'stop', stop_reason = the stop string).
 */
import { createRng, mix32 } from './prng';

const VOCABULARY = (
  'the a an and or but so of to in on at by for with from as is are was be has had do can will ' +
  'may not all any each one two more most some such new old good fast data node core load ' +
  'path time step plan test code unit case sort list map set key word line page file rule call ' +
  'send read note mark view form task team user host port link tree root ' +
  'rain wind snow sun moon star sky sea lake hill rock sand fire ice iron gold blue red gray ' +
  'cold hard long deep near far here then now late over back down up out off ' +
  'we you they it this that what when how why who our your its my'
).split(' ');

/** Tokens the simulated model "almost" wrote: the alternatives its logprobs list. */
export const ALTERNATIVE_TOKENS: readonly string[] = [...VOCABULARY.map((w) => ' ' + w), '.', ',', ' The', ' A'];

const EOS = Symbol('eos');
type Token = string | typeof EOS;

export interface GenerationParams {
  /** Hard cap on generated tokens (>= 1). */
  maxTokens: number;
  /** No EOS and no stop-string match before this many tokens. */
  minTokens: number;
  /** Never draw an EOS. */
  ignoreEos: boolean;
  /** Stop strings (empty strings are ignored). */
  stop: readonly string[];
  /** 32-bit seed of the request; each choice mixes in its index. */
  seed: number;
  mode: 'random' | 'echo';
  /** The text 'echo' repeats. */
  echoSource: string;
  /** Start the output with a space (a completion continues its prompt; a chat reply does not). */
  leadingSpace: boolean;
  /** The model tokenizer's pieces of a text ('echo' repeats the echo source token by token). */
  tokenPieces: (text: string) => string[];
  /** The model's EOS token text (what logprobs show for an end-of-sequence). */
  eosText: string;
}

export type FinishReason = 'stop' | 'length';

export interface ChoicePlan {
  /** Text released at each token step; its length is the number of completion tokens. */
  deltas: string[];
  /** The final text: the deltas joined. */
  text: string;
  /** Each generated token's own text (an end-of-sequence is the tokenizer's EOS text), for logprobs. */
  tokens: string[];
  finishReason: FinishReason;
  /** The stop string that ended the choice, else null. */
  stopReason: string | null;
}

type TokenSource = (generated: number) => Token;

function randomSource(rng: () => number, p: GenerationParams): TokenSource {
  let wordsInSentence = 0;
  let sentenceLength = 4 + Math.floor(rng() * 12);
  let atSentenceEnd = false;
  let first = true;
  return (generated) => {
    const mayEnd = !p.ignoreEos && generated >= p.minTokens;
    if (atSentenceEnd && mayEnd && rng() < 0.35) return EOS;
    atSentenceEnd = false;
    if (wordsInSentence >= sentenceLength) {
      wordsInSentence = 0;
      sentenceLength = 4 + Math.floor(rng() * 12);
      atSentenceEnd = true;
      first = false;
      return '.';
    }
    if (wordsInSentence >= 2 && rng() < 0.08) {
      wordsInSentence += 1;
      return ',';
    }
    let word = VOCABULARY[Math.floor(rng() * VOCABULARY.length)];
    if (wordsInSentence === 0) word = word.charAt(0).toUpperCase() + word.slice(1);
    wordsInSentence += 1;
    const space = first ? p.leadingSpace : true;
    first = false;
    return space ? ' ' + word : word;
  };
}

function echoSource(pieces: readonly string[], p: GenerationParams): TokenSource {
  let i = 0;
  return (generated) => {
    if (i > 0 && i % pieces.length === 0 && !p.ignoreEos && generated >= p.minTokens) return EOS;
    const piece = pieces[i % pieces.length];
    i += 1;
    return piece;
  };
}

/**
 * A fixed text, then end-of-sequence: what a model writes under a constraint (structured outputs,
 * tool calls), where the grammar allows nothing but EOS once the value is complete (so min_tokens
 * and ignore_eos cannot extend it here; a heuristic).
 */
function fixedSource(pieces: readonly string[]): TokenSource {
  let i = 0;
  return () => (i < pieces.length ? pieces[i++] : EOS);
}

/** Plans choice `index` of a request; `fixed` is the whole text a constrained model writes, as tokens. */
export function planChoice(p: GenerationParams, index: number, fixed?: readonly string[]): ChoicePlan {
  const rng = createRng(mix32(p.seed, index));
  let pieces: string[] = [];
  if (p.mode === 'echo' && !fixed) {
    pieces = p.tokenPieces(p.echoSource.trim());
    if (pieces.length > 0 && p.leadingSpace && !pieces[0].startsWith(' ')) pieces[0] = ' ' + pieces[0];
  }
  const next = fixed ? fixedSource(fixed) : pieces.length > 0 ? echoSource(pieces, p) : randomSource(rng, p);
  const stops = p.stop.filter((s) => s.length > 0);
  const longestStop = stops.reduce((m, s) => Math.max(m, s.length), 0);

  let raw = '';
  const ends: number[] = [];
  const tokens: string[] = [];
  let cut = -1;
  let finishReason: FinishReason = 'length';
  let stopReason: string | null = null;
  for (let count = 1; count <= p.maxTokens; count++) {
    const token = next(count - 1);
    if (token === EOS) {
      ends.push(raw.length);
      tokens.push(p.eosText);
      finishReason = 'stop';
      break;
    }
    const before = raw.length;
    raw += token;
    ends.push(raw.length);
    tokens.push(token);
    if (stops.length > 0 && count >= p.minTokens) {
      const from = Math.max(0, before - longestStop + 1);
      let best = -1;
      for (const s of stops) {
        const at = raw.indexOf(s, from);
        if (at !== -1 && (best === -1 || at < best)) {
          best = at;
          stopReason = s;
        }
      }
      if (best !== -1) {
        cut = best;
        finishReason = 'stop';
        break;
      }
    }
  }
  const text = cut === -1 ? raw : raw.slice(0, cut);
  const deltas: string[] = new Array<string>(ends.length);
  let prev = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = Math.min(ends[i], text.length);
    deltas[i] = end > prev ? text.slice(prev, end) : '';
    if (end > prev) prev = end;
  }
  return { deltas, text, tokens, finishReason, stopReason };
}
