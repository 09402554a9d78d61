/**
 * How a Responses API stream that breaks off ends for its client. Responses streams carry no
 * `data: [DONE]` and no bare `{"error"}` chunk: their clients (the openai SDK's `responses`
 * streams, @ai-sdk/openai, LangChain's `useResponsesApi`) wait for one of the terminal events,
 * `response.completed`, `response.incomplete` or `response.failed`. vLLM 0.11 itself sends none
 * when its stream generator fails (Starlette closes the connection), which those clients read as a
 * stream that ended without an answer; so the relay ends it with `response.failed`, the event
 * OpenAI's API sends for a response that failed: the response object of the stream's
 * `response.created` event with `status: "failed"` and an `error` {code, message}, numbered after
 * the last event relayed.
 */
export class ResponsesFailure {
  private created?: Record<string, unknown>;
  private text: string | undefined = '';
  private events = 0;

  /** Reads the stream's start until its `response.created` event is found (a few KB at most). */
  watch(buffer: Buffer): void {
    if (this.text === undefined) return;
    this.text += buffer.toString('utf8');
    const at = this.text.indexOf('event: response.created\n');
    const data = at === -1 ? -1 : this.text.indexOf('data: ', at);
    const end = data === -1 ? -1 : this.text.indexOf('\n\n', data);
    if (end !== -1) {
      try {
        const event = JSON.parse(this.text.slice(data + 'data: '.length, end)) as { response?: Record<string, unknown> };
        if (event.response && typeof event.response === 'object') this.created = event.response;
      } catch {
        // Not JSON: the failure event then carries what it knows without it.
      }
      this.text = undefined;
    } else if (this.text.length > 16_384) this.text = undefined;
  }

  /** `count` more events went to the client. */
  relayed(count: number): void {
    this.events += count;
  }

  /** The id of the response the stream creates, once seen. */
  get responseId(): string | undefined {
    return typeof this.created?.id === 'string' ? this.created.id : undefined;
  }

  /** The terminal event for a stream that broke off with `message`. */
  event(message: string): Buffer {
    const response = { ...(this.created ?? { object: 'response', output: [] }), status: 'failed', error: { code: 'server_error', message } };
    return Buffer.from(`event: response.failed\ndata: ${JSON.stringify({ type: 'response.failed', sequence_number: this.events, response })}\n\n`);
  }
}
