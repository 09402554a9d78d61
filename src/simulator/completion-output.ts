/**
 * How a completion's planned choices are written, streamed and not (vLLM 0.11,
 * serving_completion.py): text (after the echoed prompt, with echo), and the legacy logprobs shape
 * when `logprobs` is set. With echo, logprobs cover the prompt's tokens too; the first prompt token
 * has none (null), as vLLM's prompt logprobs start.
 */
import type { GenerationOutput } from './handlers/generation';
import { CompletionToken, completionLogprobsJson, tokenLogprob } from './logprobs';
import { mix32 } from './prng';
import { completionBody, CompletionChoiceOut, StreamFormatter, UsageCounts } from './response-format';
import type { ChoicePlan } from './text-generator';

export interface CompletionOutputSpec {
  id: string;
  created: number;
  model: string;
  promptTokens: number;
  choices: ChoicePlan[];
  /** With echo: each choice's prompt text and its tokens' texts. */
  echo: Array<{ text: string; tokens: string[] }> | null;
  /** `logprobs` (k), or null. */
  logprobs: number | null;
  seed: number;
}

export function completionOutput(spec: CompletionOutputSpec): GenerationOutput {
  const k = spec.logprobs;
  const promptTokens = (i: number): CompletionToken[] => {
    const echo = spec.echo?.[i];
    if (!echo) return [];
    // Prompt tokens get their own seeds (steps past any output token's).
    const seed = mix32(spec.seed, 0x9e0 + i);
    return echo.tokens.map((token, s) => ({ token, lp: s === 0 ? null : tokenLogprob(token, seed, s, k ?? 0) }));
  };
  const outputTokens = (i: number, from: number, to: number): CompletionToken[] => {
    const plan = spec.choices[i];
    const seed = mix32(spec.seed, i);
    const tokens: CompletionToken[] = [];
    for (let s = from; s < to; s++) tokens.push({ token: plan.tokens[s], lp: tokenLogprob(plan.tokens[s], seed, s, k ?? 0) });
    return tokens;
  };
  const sentText = spec.choices.map(() => 0);

  return {
    streamHead: () => '',

    streamChunk(format: StreamFormatter, i: number, step: number, usage: UsageCounts | null): string {
      const plan = spec.choices[i];
      const first = step === 0 && spec.echo !== null;
      const text = (first ? spec.echo![i].text : '') + plan.deltas[step];
      let logprobs = 'null';
      if (k !== null) {
        const tokens = [...(first ? promptTokens(i) : []), ...outputTokens(i, step, step + 1)];
        logprobs = completionLogprobsJson(tokens, k, sentText[i]);
      }
      sentText[i] += plan.deltas[step].length;
      const finish = step === plan.deltas.length - 1 ? { reason: plan.finishReason, stopReason: plan.stopReason } : null;
      return format.completionChunk(i, text, logprobs, finish, usage);
    },

    body(): string {
      let completionTokens = 0;
      const out: CompletionChoiceOut[] = spec.choices.map((plan, i) => {
        completionTokens += plan.deltas.length;
        const logprobs = k === null ? 'null' : completionLogprobsJson([...promptTokens(i), ...outputTokens(i, 0, plan.deltas.length)], k, 0);
        return { text: (spec.echo ? spec.echo[i].text : '') + plan.text, logprobs, reason: plan.finishReason, stopReason: plan.stopReason };
      });
      return completionBody(spec.id, spec.created, spec.model, out, spec.promptTokens, completionTokens);
    },
  };
}
