/**
 * Response bodies and SSE chunks in vLLM 0.11's shapes (field names and order as vLLM serialises
 * them: protocol.py's ChatCompletionResponse, ChatCompletionStreamResponse, CompletionResponse,
 * CompletionStreamResponse). Stream chunks are assembled from a prefix computed once per request,
 * so a token costs one JSON.stringify of its text.
 */
import type { ToolCallOut } from './tools/tool-output';

export type GenerationKind = 'chat' | 'completion';

export interface Finish {
  reason: string;
  stopReason: string | null;
}

export interface UsageCounts {
  prompt: number;
  completion: number;
}

/** A finished chat choice, as the response lists it. */
export interface ChatChoiceOut extends Finish {
  content: string | null;
  toolCalls: ToolCallOut[];
  /** The logprobs JSON, or "null". */
  logprobs: string;
}

/** A finished completion choice (text includes the echoed prompt). */
export interface CompletionChoiceOut extends Finish {
  text: string;
  logprobs: string;
}

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
   * One token of one chat choice: `delta` is the delta object's JSON (content or tool calls, see
   * tools/tool-stream.ts), `logprobs` the logprobs JSON or "null". `finish` is set on the choice's
   * last token (the chunk then carries finish_reason and stop_reason). `usage` is set with
   * stream_options.continuous_usage_stats.
   */
  chatChunk(index: number, delta: string, logprobs: string, finish: Finish | null, usage: UsageCounts | null): string {
    const end = finish ? `"finish_reason":${JSON.stringify(finish.reason)},"stop_reason":${JSON.stringify(finish.stopReason)}` : '"finish_reason":null';
    const tail = usage ? `,"usage":${usageJson(usage.prompt, usage.completion)}` : '';
    return `${this.prefix}{"index":${index},"delta":${delta},"logprobs":${logprobs},${end}}]${tail}}\n\n`;
  }

  /** One token of one completion choice (see chatChunk). */
  completionChunk(index: number, text: string, logprobs: string, finish: Finish | null, usage: UsageCounts | null): string {
    const end = finish ? `"finish_reason":${JSON.stringify(finish.reason)},"stop_reason":${JSON.stringify(finish.stopReason)}` : '"finish_reason":null,"stop_reason":null';
    const tail = usage ? `,"usage":${usageJson(usage.prompt, usage.completion)}` : ',"usage":null';
    return `${this.prefix}{"index":${index},"text":${JSON.stringify(text)},"logprobs":${logprobs},${end}}]${tail}}\n\n`;
  }

  /** The final chunk with `choices: []` and the request's usage (stream_options.include_usage). */
  usageChunk(promptTokens: number, completionTokens: number): string {
    return `${this.prefix}],"usage":${usageJson(promptTokens, completionTokens)}}\n\n`;
  }
}

export const DONE_EVENT = 'data: [DONE]\n\n';

/**
 * The event vLLM's stream generators send when generation fails mid-stream
 * (`create_streaming_error_response`: json.dumps of the error body, Python's separators), before
 * `data: [DONE]`.
 */
export function streamErrorEvent(message: string, type = 'BadRequestError', code = 400): string {
  return `data: {"error": {"message": ${JSON.stringify(message)}, "type": ${JSON.stringify(type)}, "param": null, "code": ${code}}}\n\n`;
}

function usageObject(promptTokens: number, completionTokens: number) {
  return {
    prompt_tokens: promptTokens,
    total_tokens: promptTokens + completionTokens,
    completion_tokens: completionTokens,
    prompt_tokens_details: null,
  };
}

/**
 * The chat completion body. `message` and `logprobs` are spliced in as JSON text (tool calls in
 * ChatMessage's field order; logprobs already serialised), so the field order stays vLLM's.
 */
export function chatCompletionBody(
  id: string,
  created: number,
  model: string,
  choices: readonly ChatChoiceOut[],
  promptTokens: number,
  completionTokens: number,
): string {
  const choiceJson = choices.map((c, index) => {
    const toolCalls = c.toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } }));
    const message = JSON.stringify({
      role: 'assistant',
      content: c.content,
      refusal: null,
      annotations: null,
      audio: null,
      function_call: null,
      tool_calls: toolCalls,
      reasoning_content: null,
    });
    return `{"index":${index},"message":${message},"logprobs":${c.logprobs},"finish_reason":${JSON.stringify(c.reason)},"stop_reason":${JSON.stringify(c.stopReason)}}`;
  });
  return (
    `{"id":${JSON.stringify(id)},"object":"chat.completion","created":${created},"model":${JSON.stringify(model)},` +
    `"choices":[${choiceJson.join(',')}],"service_tier":null,"system_fingerprint":null,` +
    `"usage":${JSON.stringify(usageObject(promptTokens, completionTokens))},"prompt_logprobs":null,"kv_transfer_params":null}`
  );
}

export function completionBody(
  id: string,
  created: number,
  model: string,
  choices: readonly CompletionChoiceOut[],
  promptTokens: number,
  completionTokens: number,
): string {
  const choiceJson = choices.map(
    (c, index) =>
      `{"index":${index},"text":${JSON.stringify(c.text)},"logprobs":${c.logprobs},"finish_reason":${JSON.stringify(c.reason)},` +
      `"stop_reason":${JSON.stringify(c.stopReason)},"prompt_logprobs":null}`,
  );
  return (
    `{"id":${JSON.stringify(id)},"object":"text_completion","created":${created},"model":${JSON.stringify(model)},` +
    `"choices":[${choiceJson.join(',')}],"service_tier":null,"system_fingerprint":null,` +
    `"usage":${JSON.stringify(usageObject(promptTokens, completionTokens))},"kv_transfer_params":null}`
  );
}
