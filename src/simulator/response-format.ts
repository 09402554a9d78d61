/**
 * Response bodies and SSE chunks in vLLM 0.11's shapes (field names and order as vLLM serialises
 * them). Stream chunks are assembled from a prefix computed once per request, so a token costs one
 * JSON.stringify of its text.
 */
import type { ChoicePlan } from './text-generator';

export type GenerationKind = 'chat' | 'completion';

function usageJson(promptTokens: number, completionTokens: number): string {
  return `{"prompt_tokens":${promptTokens},"total_tokens":${promptTokens + completionTokens},"completion_tokens":${completionTokens}}`;
}

export class StreamFormatter {
  private readonly prefix: string;

  constructor(
    private readonly kind: GenerationKind,
    id: string,
    created: number,
    model: string,
  ) {
    const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    this.prefix = `data: {"id":${JSON.stringify(id)},"object":"${object}","created":${created},"model":${JSON.stringify(model)},"choices":[`;
  }

  /** The first chat chunk of a choice: the assistant role and empty content. */
  roleChunk(index: number): string {
    return `${this.prefix}{"index":${index},"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`;
  }

  /**
   * One token of one choice. `finished` is the choice's plan on its last token (the chunk then carries
   * finish_reason and stop_reason), else null. `usage` is set with stream_options.continuous_usage_stats.
   */
  tokenChunk(
    index: number,
    text: string,
    finished: ChoicePlan | null,
    usage: { prompt: number; completion: number } | null,
  ): string {
    const finish = finished
      ? `"finish_reason":"${finished.finishReason}","stop_reason":${JSON.stringify(finished.stopReason)}`
      : this.kind === 'chat'
        ? '"finish_reason":null'
        : '"finish_reason":null,"stop_reason":null';
    const choice =
      this.kind === 'chat'
        ? `{"index":${index},"delta":{"content":${JSON.stringify(text)}},"logprobs":null,${finish}}`
        : `{"index":${index},"text":${JSON.stringify(text)},"logprobs":null,${finish}}`;
    const tail = usage
      ? `,"usage":${usageJson(usage.prompt, usage.completion)}`
      : this.kind === 'completion'
        ? ',"usage":null'
        : '';
    return `${this.prefix}${choice}]${tail}}\n\n`;
  }

  /** The final chunk with `choices: []` and the request's usage (stream_options.include_usage). */
  usageChunk(promptTokens: number, completionTokens: number): string {
    return `${this.prefix}],"usage":${usageJson(promptTokens, completionTokens)}}\n\n`;
  }
}

export const DONE_EVENT = 'data: [DONE]\n\n';

function usageObject(promptTokens: number, completionTokens: number) {
  return {
    prompt_tokens: promptTokens,
    total_tokens: promptTokens + completionTokens,
    completion_tokens: completionTokens,
    prompt_tokens_details: null,
  };
}

export function chatCompletionBody(
  id: string,
  created: number,
  model: string,
  choices: readonly ChoicePlan[],
  promptTokens: number,
): string {
  let completionTokens = 0;
  for (const c of choices) completionTokens += c.deltas.length;
  return JSON.stringify({
    id,
    object: 'chat.completion',
    created,
    model,
    choices: choices.map((c, index) => ({
      index,
      message: {
        role: 'assistant',
        content: c.text,
        refusal: null,
        annotations: null,
        audio: null,
        function_call: null,
        tool_calls: [],
        reasoning_content: null,
      },
      logprobs: null,
      finish_reason: c.finishReason,
      stop_reason: c.stopReason,
    })),
    service_tier: null,
    system_fingerprint: null,
    usage: usageObject(promptTokens, completionTokens),
    prompt_logprobs: null,
    kv_transfer_params: null,
  });
}

export function completionBody(
  id: string,
  created: number,
  model: string,
  choices: readonly ChoicePlan[],
  echoPrefixes: readonly string[] | null,
  promptTokens: number,
): string {
  let completionTokens = 0;
  for (const c of choices) completionTokens += c.deltas.length;
  return JSON.stringify({
    id,
    object: 'text_completion',
    created,
    model,
    choices: choices.map((c, index) => ({
      index,
      text: (echoPrefixes ? echoPrefixes[index] : '') + c.text,
      logprobs: null,
      finish_reason: c.finishReason,
      stop_reason: c.stopReason,
      prompt_logprobs: null,
    })),
    service_tier: null,
    system_fingerprint: null,
    usage: usageObject(promptTokens, completionTokens),
    kv_transfer_params: null,
  });
}
