export type ChatMessage = { role: string; content: string | null | object[]; name?: string };

/**
 * What the streaming methods take and yield. The chunk shapes are vLLM's
 * (`vllm/entrypoints/openai/protocol.py`: CompletionStreamResponse, ChatCompletionStreamResponse);
 * fields a request switches on (logprobs, tool calls) are passed through as the engine sent them.
 */

/** An OpenAI completion request; `model` and `stream` are set by the service. */
export interface CompletionStreamRequest {
  prompt: string | string[];
  [field: string]: unknown;
}

/** An OpenAI chat completion request; `model` and `stream` are set by the service. */
export interface ChatStreamRequest {
  messages: ChatMessage[];
  [field: string]: unknown;
}

export interface CompletionChunk {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: { index: number; text: string; logprobs?: unknown; finish_reason: string | null; stop_reason?: string | number | null }[];
  /** Only when the request set `stream_options.include_usage` (the last chunk, with no choices). */
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: {
    index: number;
    delta: { role?: string; content?: string | null; reasoning_content?: string | null; tool_calls?: unknown[] };
    logprobs?: unknown;
    finish_reason: string | null;
    stop_reason?: string | number | null;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}
