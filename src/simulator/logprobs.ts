/**
 * Log probabilities in vLLM 0.11's shapes:
 * - chat (serving_chat.py `_create_chat_logprobs`): `{"content": [{token, logprob, bytes,
 *   top_logprobs: [{token, logprob, bytes}, …]}, …]}`, one entry per generated token, `top_logprobs`
 *   holding the first k entries of the engine's per-token map;
 * - completions (serving_completion.py `_create_completion_logprobs`): `{text_offset,
 *   token_logprobs, tokens, top_logprobs}`, each top map with the first k + 1 entries (a sampled
 *   token that is also the most likely appears once).
 * The engine's map lists the sampled token first, then the top-ranked ones. The simulated model's
 * sampled token is always its most likely one, so lists are in descending order with the sampled
 * token first. The numbers are the simulator's: seeded, ≤ 0, the sampled token's between −1.5 and 0
 * and each alternative lower than the one before (a heuristic, not a model's distribution).
 */
import { createRng, mix32 } from './prng';
import { ALTERNATIVE_TOKENS } from './text-generator';

export interface TokenLogprob {
  token: string;
  logprob: number;
  /** The k most likely tokens, the sampled one first (k = what was asked, 0..max_logprobs). */
  top: Array<{ token: string; logprob: number }>;
}

/** Log probabilities of token `step` of a choice, with `k` alternatives in all. */
export function tokenLogprob(token: string, seed: number, step: number, k: number): TokenLogprob {
  const rng = createRng(mix32(seed, 0x10b0 + step));
  const logprob = -(rng() * rng() * 1.5);
  const top = [{ token, logprob }];
  let next = logprob;
  let offset = Math.floor(rng() * ALTERNATIVE_TOKENS.length);
  while (top.length < k) {
    const candidate = ALTERNATIVE_TOKENS[offset % ALTERNATIVE_TOKENS.length];
    offset += 1 + Math.floor(rng() * 7);
    if (top.some((t) => t.token === candidate)) continue;
    next -= 0.05 + rng() * 1.5;
    top.push({ token: candidate, logprob: next });
  }
  return { token, logprob, top };
}

function bytesJson(token: string): string {
  return '[' + Array.from(Buffer.from(token, 'utf8')).join(',') + ']';
}

function num(x: number): string {
  return JSON.stringify(Math.max(x, -9999));
}

/** One entry of chat `logprobs.content`. */
function chatEntry(t: TokenLogprob, k: number): string {
  const top = t.top
    .slice(0, k)
    .map((a) => `{"token":${JSON.stringify(a.token)},"logprob":${num(a.logprob)},"bytes":${bytesJson(a.token)}}`)
    .join(',');
  return `{"token":${JSON.stringify(t.token)},"logprob":${num(t.logprob)},"bytes":${bytesJson(t.token)},"top_logprobs":[${top}]}`;
}

/** Chat `logprobs` for these tokens: `{"content":[…]}`. */
export function chatLogprobsJson(tokens: readonly TokenLogprob[], k: number): string {
  return `{"content":[${tokens.map((t) => chatEntry(t, k)).join(',')}]}`;
}

/** A prompt token shown by echo: its own logprob is unknown (the first one) or seeded like the others. */
export interface CompletionToken {
  token: string;
  /** null for the first prompt token, which has no logprob. */
  lp: TokenLogprob | null;
}

/** Completions `logprobs` for these tokens, the first at text offset `offset`. */
export function completionLogprobsJson(tokens: readonly CompletionToken[], k: number, offset: number): string {
  const offsets: number[] = [];
  const values: string[] = [];
  const texts: string[] = [];
  const tops: string[] = [];
  let at = offset;
  for (const t of tokens) {
    offsets.push(at);
    at += [...t.token].length;
    texts.push(JSON.stringify(t.token));
    if (t.lp === null) {
      values.push('null');
      tops.push('null');
      continue;
    }
    values.push(num(t.lp.logprob));
    const entries = t.lp.top.slice(0, k + 1).map((a) => `${JSON.stringify(a.token)}:${num(a.logprob)}`);
    tops.push(`{${entries.join(',')}}`);
  }
  return `{"text_offset":[${offsets.join(',')}],"token_logprobs":[${values.join(',')}],"tokens":[${texts.join(',')}],"top_logprobs":[${tops.join(',')}]}`;
}
