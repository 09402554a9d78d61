/**
 * Response objects and stream events of vLLM's Responses API for a non-gpt-oss model
 * (vllm/entrypoints/openai/serving_responses.py: responses_full_generator,
 * _process_simple_streaming_events, responses_stream_generator; ResponsesResponse.from_request in
 * protocol.py; the SSE framing of api_server.py's _convert_stream_to_sse_events). Field order is the
 * pydantic models' (openai.types.responses), as model_dump writes them.
 */
import { randomUUID } from 'node:crypto';
import type { ResponsesRequest } from './request';
import type { ResponseStatus } from './store';

/** Python's uuid.uuid4().hex / vLLM's random_uuid(). */
export function uuidHex(): string {
  return randomUUID().replaceAll('-', '');
}

export interface ResponseUsageCounts {
  input: number;
  output: number;
}

function usage(u: ResponseUsageCounts) {
  // vLLM's SimpleContext keeps no per-turn metrics (all_turn_metrics = []).
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: 0, input_tokens_per_turn: [], cached_tokens_per_turn: [] },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: 0, tool_output_tokens: 0, output_tokens_per_turn: [], tool_output_tokens_per_turn: [] },
    total_tokens: u.input + u.output,
  };
}

/** The assistant message output item of a finished response ("msg_" id), or none for empty text. */
export function messageOutput(text: string): Record<string, unknown>[] {
  if (text.length === 0) return [];
  return [
    {
      id: `msg_${uuidHex()}`,
      content: [{ annotations: [], text, type: 'output_text', logprobs: null }],
      role: 'assistant',
      status: 'completed',
      type: 'message',
    },
  ];
}

export interface ResponseFrame {
  id: string;
  createdAt: number;
  model: string;
  request: ResponsesRequest;
  /** sampling_params: temperature and top_p after defaults (1.0), max_tokens after the context clamp. */
  temperature: number;
  topP: number;
  maxTokens: number;
}

/** ResponsesResponse.from_request. */
export function responseBody(
  f: ResponseFrame,
  status: ResponseStatus,
  output: Record<string, unknown>[],
  counts: ResponseUsageCounts | null,
): Record<string, unknown> & { id: string; status: ResponseStatus } {
  const e = f.request.echo;
  return {
    id: f.id,
    created_at: f.createdAt,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: f.request.instructions,
    metadata: e.metadata,
    model: f.model,
    object: 'response',
    output,
    parallel_tool_calls: e.parallel_tool_calls,
    temperature: f.temperature,
    tool_choice: e.tool_choice,
    tools: e.tools,
    top_p: f.topP,
    background: f.request.background,
    max_output_tokens: f.maxTokens,
    max_tool_calls: e.max_tool_calls,
    previous_response_id: f.request.previousResponseId,
    prompt: null,
    reasoning: e.reasoning,
    service_tier: e.service_tier,
    status,
    text: e.text,
    // sampling_params.logprobs: set only with include=["message.output_text.logprobs"].
    top_logprobs: null,
    truncation: e.truncation,
    usage: counts ? usage(counts) : null,
    user: e.user,
    input_messages: null,
    output_messages: null,
  };
}

/**
 * The SSE events of one streamed response, numbered in order. vLLM's quirks are kept: the message
 * item streams under a dashed uuid4 id while the final response names it msg_<hex>, and
 * content_index counts up with every event of the part rather than staying 0.
 */
export class ResponseEventStream {
  private seq = 0;
  private contentIndex = 0;
  private readonly itemId = randomUUID();
  private started = false;
  private text = '';

  constructor(private readonly frame: ResponseFrame) {}

  private event(type: string, fields: Record<string, unknown>): string {
    const data = { ...fields, sequence_number: this.seq, type };
    this.seq += 1;
    return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  /** response.created and response.in_progress, with the in-progress response object. */
  head(): string {
    const initial = responseBody(this.frame, 'in_progress', [], null);
    return this.event('response.created', { response: initial }) + this.event('response.in_progress', { response: initial });
  }

  /** One generated token's text (the first also opens the message item and its text part). */
  delta(text: string): string {
    let out = '';
    if (!this.started) {
      this.started = true;
      out += this.event('response.output_item.added', {
        item: { id: this.itemId, content: [], role: 'assistant', status: 'in_progress', type: 'message' },
        output_index: 0,
      });
      out += this.event('response.content_part.added', {
        content_index: this.contentIndex,
        item_id: this.itemId,
        output_index: 0,
        part: { annotations: [], text: '', type: 'output_text', logprobs: [] },
      });
      this.contentIndex += 1;
    }
    out += this.event('response.output_text.delta', {
      content_index: this.contentIndex,
      delta: text,
      item_id: this.itemId,
      logprobs: [],
      output_index: 0,
    });
    this.contentIndex += 1;
    this.text += text;
    return out;
  }

  /** The done events of the text part and the item, then response.completed with the final response. */
  tail(final: Record<string, unknown>): string {
    let out = '';
    if (this.started) {
      out += this.event('response.output_text.done', {
        content_index: this.contentIndex,
        item_id: this.itemId,
        logprobs: [],
        output_index: 0,
        text: this.text,
      });
      this.contentIndex += 1;
      const part = { annotations: [], text: this.text, type: 'output_text', logprobs: null };
      out += this.event('response.content_part.done', {
        content_index: this.contentIndex,
        item_id: this.itemId,
        output_index: 0,
        part,
      });
      this.contentIndex += 1;
      out += this.event('response.output_item.done', {
        item: { id: this.itemId, content: [part], role: 'assistant', status: 'completed', type: 'message', summary: [] },
        output_index: 0,
      });
    }
    return out + this.event('response.completed', { response: final });
  }
}
