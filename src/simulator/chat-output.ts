/**
 * How a chat completion's planned choices are written, streamed and not (vLLM 0.11,
 * serving_chat.py): text as `content`, or tool calls as vLLM's parsers return them
 * (tools/tool-output.ts, tools/tool-stream.ts), with logprobs when asked (logprobs.ts).
 */
import type { GenerationOutput } from './handlers/generation';
import { chatLogprobsJson, tokenLogprob } from './logprobs';
import { mix32 } from './prng';
import { chatCompletionBody, ChatChoiceOut, StreamFormatter, UsageCounts } from './response-format';
import type { ChoicePlan } from './text-generator';
import { parseToolChoice, ToolPlan } from './tools/tool-output';
import { ToolDeltaStream } from './tools/tool-stream';

export interface ChatChoicePlan {
  plan: ChoicePlan;
  /** Set when the model writes tool calls for this choice. */
  tools: ToolPlan | null;
}

export interface ChatOutputSpec {
  id: string;
  created: number;
  model: string;
  promptTokens: number;
  choices: ChatChoicePlan[];
  /** top_logprobs when `logprobs: true` (0 = the sampled token only), else null. */
  topLogprobs: number | null;
  seed: number;
}

/** Character offsets where each token's text starts in the choice's text (one more for the end). */
function offsets(plan: ChoicePlan): number[] {
  const at = [0];
  for (const d of plan.deltas) at.push(at[at.length - 1] + d.length);
  return at;
}

export function chatOutput(spec: ChatOutputSpec): GenerationOutput {
  const k = spec.topLogprobs;
  const starts = spec.choices.map((c) => offsets(c.plan));
  const toolStreams = spec.choices.map((c, i) => (c.tools ? new ToolDeltaStream(c.tools, i) : null));
  const logprobsOf = (i: number, from: number, to: number): string => {
    if (k === null) return 'null';
    const plan = spec.choices[i].plan;
    const seed = mix32(spec.seed, i);
    const tokens = [];
    for (let s = from; s < to; s++) tokens.push(tokenLogprob(plan.tokens[s], seed, s, k));
    return chatLogprobsJson(tokens, k);
  };

  return {
    streamHead(format: StreamFormatter): string {
      let out = '';
      for (let i = 0; i < spec.choices.length; i++) out += format.roleChunk(i);
      return out;
    },

    streamChunk(format: StreamFormatter, i: number, step: number, usage: UsageCounts | null): string {
      const { plan } = spec.choices[i];
      const last = step === plan.deltas.length - 1;
      const tools = toolStreams[i];
      let delta = tools ? tools.delta(starts[i][step], starts[i][step + 1]) : `{"content":${JSON.stringify(plan.deltas[step])}}`;
      if (delta === null) {
        // The parser held this token back: vLLM sends nothing, except an empty delta with the finish.
        if (!last) return '';
        delta = '{}';
      }
      const finish = last ? { reason: tools?.streamed ? 'tool_calls' : plan.finishReason, stopReason: plan.stopReason } : null;
      return format.chatChunk(i, delta, logprobsOf(i, step, step + 1), finish, usage);
    },

    body(): string {
      let completionTokens = 0;
      const out: ChatChoiceOut[] = spec.choices.map((c, i) => {
        completionTokens += c.plan.deltas.length;
        const logprobs = logprobsOf(i, 0, c.plan.deltas.length);
        if (!c.tools) return { content: c.plan.text, toolCalls: [], reason: c.plan.finishReason, stopReason: c.plan.stopReason, logprobs };
        const parsed = parseToolChoice(c.tools, c.plan);
        return { content: parsed.content, toolCalls: parsed.toolCalls, reason: parsed.finishReason, stopReason: c.plan.stopReason, logprobs };
      });
      return chatCompletionBody(spec.id, spec.created, spec.model, out, spec.promptTokens, completionTokens);
    },
  };
}
