/**
 * A deterministic heuristic tokenizer. It is an APPROXIMATION good enough to count tokens roughly
 * like a BPE tokenizer does (~4 characters per token on English text); it is not any model's real
 * tokenizer and its ids mean nothing to a real model.
 *
 * Rules:
 * - a run of ASCII letters/digits is one token per 4 characters ("Hello" -> "Hell", "o");
 * - a single space before a word or punctuation mark belongs to that token (" world" -> " wor", "ld");
 * - every other ASCII punctuation character is its own token;
 * - other whitespace goes in runs of up to 4 characters;
 * - every non-ASCII code point (and NUL) is its own token.
 *
 * Ids are reversible without any vocabulary table, so /detokenize and token-id prompts work:
 * - an ASCII piece of up to 4 characters (plus an optional leading space) is packed as
 *   flag<<28 | c0<<21 | c1<<14 | c2<<7 | c3 (unused trailing slots are 0);
 * - a non-ASCII code point cp is NON_ASCII_BASE + cp;
 * - template tokens (BOS, chat markers, roles) are SPECIAL_BASE + k.
 */

const NON_ASCII_BASE = 2 ** 29;
const SPECIAL_BASE = 2 ** 30;
const MAX_TOKEN_ID = 2 ** 31 - 1;

export const BOS_TOKEN_ID = SPECIAL_BASE + 1;
export const EOS_TOKEN_ID = SPECIAL_BASE + 2;
const IM_START_ID = SPECIAL_BASE + 3;
const IM_END_ID = SPECIAL_BASE + 4;
const ASSISTANT_ID = SPECIAL_BASE + 18;
const ROLE_IDS = new Map<string, number>([
  ['system', SPECIAL_BASE + 16],
  ['user', SPECIAL_BASE + 17],
  ['assistant', ASSISTANT_ID],
  ['tool', SPECIAL_BASE + 19],
  ['developer', SPECIAL_BASE + 20],
  ['function', SPECIAL_BASE + 21],
]);
const OTHER_ROLE_ID = SPECIAL_BASE + 31;

const SPECIAL_TEXT = new Map<number, string>([
  [BOS_TOKEN_ID, '<s>'],
  [EOS_TOKEN_ID, '</s>'],
  [IM_START_ID, '<|im_start|>'],
  [IM_END_ID, '<|im_end|>'],
  [OTHER_ROLE_ID, 'other'],
  ...[...ROLE_IDS].map(([role, id]) => [id, role] as [number, string]),
]);

/**
 * Chat template overhead, in tokens. Each message costs its content plus CHAT_MESSAGE_OVERHEAD
 * (<|im_start|>, the role, a newline, <|im_end|>); the prompt starts with BOS and ends with the
 * generation prompt (<|im_start|>, assistant, a newline). Real chat templates cost a similar few
 * tokens per message; the exact numbers are ours.
 */
export const CHAT_MESSAGE_OVERHEAD = 4;
export const CHAT_GENERATION_PROMPT_TOKENS = 3;
export const CHAT_BOS_TOKENS = 1;

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}
/** ASCII, not NUL, not whitespace: a space before it belongs to its token. */
function isAttachable(c: number): boolean {
  return c > 0 && c < 128 && !isSpace(c);
}

/** Calls onPiece(start, end) for each token of text, in order. */
function scan(text: string, onPiece: (start: number, end: number) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0 || c >= 128) {
      const len = (text.codePointAt(i) as number) > 0xffff ? 2 : 1;
      onPiece(i, i + len);
      i += len;
      continue;
    }
    const start = i;
    let k = c;
    if (c === 32 && i + 1 < n && isAttachable(text.charCodeAt(i + 1))) {
      i += 1;
      k = text.charCodeAt(i);
    }
    if (isAlnum(k)) {
      let j = i;
      while (j < n && isAlnum(text.charCodeAt(j))) j++;
      let p = i;
      let pieceStart = start;
      while (p < j) {
        const e = Math.min(p + 4, j);
        onPiece(pieceStart, e);
        p = e;
        pieceStart = e;
      }
      i = j;
    } else if (isSpace(k)) {
      let j = i;
      while (j < n && j - i < 4 && isSpace(text.charCodeAt(j))) {
        // Leave a space that precedes a word for the word's own token.
        if (j > i && text.charCodeAt(j) === 32 && j + 1 < n && isAttachable(text.charCodeAt(j + 1))) break;
        j++;
      }
      onPiece(i, j);
      i = j;
    } else {
      onPiece(start, i + 1);
      i += 1;
    }
  }
}

function packPiece(piece: string): number {
  const c = piece.charCodeAt(0);
  if (c === 0 || c >= 128) return NON_ASCII_BASE + (piece.codePointAt(0) as number);
  let flag = 0;
  let body = piece;
  if (c === 32 && piece.length > 1 && !isSpace(piece.charCodeAt(1))) {
    flag = 1;
    body = piece.slice(1);
  }
  let id = flag << 28;
  for (let i = 0; i < 4; i++) {
    id |= (i < body.length ? body.charCodeAt(i) : 0) << (7 * (3 - i));
  }
  return id;
}

function unpackId(id: number): string {
  if (id >= SPECIAL_BASE) return SPECIAL_TEXT.get(id) ?? '';
  if (id >= NON_ASCII_BASE) {
    const cp = id - NON_ASCII_BASE;
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
  }
  let s = (id >> 28) & 1 ? ' ' : '';
  for (let i = 0; i < 4; i++) {
    const ch = (id >> (7 * (3 - i))) & 0x7f;
    if (ch !== 0) s += String.fromCharCode(ch);
  }
  return s;
}

/** Token ids of text, without special tokens. */
export function encode(text: string): number[] {
  const ids: number[] = [];
  scan(text, (s, e) => ids.push(packPiece(text.slice(s, e))));
  return ids;
}

/** The text of each token of text, in order; their concatenation is text. */
export function tokenPieces(text: string): string[] {
  const pieces: string[] = [];
  scan(text, (s, e) => pieces.push(text.slice(s, e)));
  return pieces;
}

/** Number of tokens of text, without special tokens. */
export function countTokens(text: string): number {
  let n = 0;
  scan(text, () => {
    n++;
  });
  return n;
}

export function isValidTokenId(id: unknown): id is number {
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= MAX_TOKEN_ID;
}

/** Text of token ids (special tokens included, as their marker text). */
export function decode(ids: readonly number[]): string {
  let s = '';
  for (const id of ids) s += unpackId(id);
  return s;
}

/** Text of one token id. */
export function decodeToken(id: number): string {
  return unpackId(id);
}

/** A completion prompt: BOS then the text's tokens, as vLLM does with add_special_tokens=true. */
export function encodePrompt(text: string, addSpecialTokens = true): number[] {
  const ids = encode(text);
  if (addSpecialTokens) ids.unshift(BOS_TOKEN_ID);
  return ids;
}

export function countPromptTokens(text: string, addSpecialTokens = true): number {
  return countTokens(text) + (addSpecialTokens ? 1 : 0);
}

export interface ChatTurn {
  role: string;
  content: string;
}

/** Token ids of the simulator's chat template applied to messages. */
export function encodeChat(messages: readonly ChatTurn[], addGenerationPrompt = true): number[] {
  const ids: number[] = [BOS_TOKEN_ID];
  const newline = packPiece('\n');
  for (const m of messages) {
    ids.push(IM_START_ID, ROLE_IDS.get(m.role) ?? OTHER_ROLE_ID, newline);
    scan(m.content, (s, e) => ids.push(packPiece(m.content.slice(s, e))));
    ids.push(IM_END_ID);
  }
  if (addGenerationPrompt) ids.push(IM_START_ID, ASSISTANT_ID, newline);
  return ids;
}

/** Same count as encodeChat(...).length, without building the array. */
export function countChatTokens(messages: readonly ChatTurn[], addGenerationPrompt = true): number {
  let n = CHAT_BOS_TOKENS + (addGenerationPrompt ? CHAT_GENERATION_PROMPT_TOKENS : 0);
  for (const m of messages) n += CHAT_MESSAGE_OVERHEAD + countTokens(m.content);
  return n;
}
