import { Logger } from '@nestjs/common';
import { ShuttingDown } from '../../common/shutting-down';
import { discardBody } from '../core/vllm-engine/read-body';
import { EngineReply } from '../core/vllm-engine/vllm-engine';
import { isDoneEvent, SseEventSplitter } from './sse-event-splitter';
import { sseErrorEvent } from './sse-error-event';
import { StreamObserver, StreamOutcome } from './stream-outcome';

export interface RelayOptions {
  /** The request's signal: it aborts when the client leaves (the relay then stops quietly). */
  signal: AbortSignal;
  /**
   * Cancels the upstream request: the relay aborts it when the stream goes idle; the server
   * aborts it with ShuttingDown after its grace period.
   */
  upstreamAbort: AbortController;
  /** At most this many already-queued events are merged into one write (never waiting for more). */
  maxMergedEvents: number;
  /**
   * How long the first data event may still take: the rest of the request's first-token budget
   * (`first_token_ms`, counted from the request, since vLLM sends its headers before the first
   * token). A stream whose first event does not come in time ends with an error event.
   */
  firstEventTimeoutMs: number;
  /** Once the first event came: a stream silent this long between events ends with an error event. */
  idleTimeoutMs: number;
  /**
   * The client did not ask for usage (`stream_options.include_usage`) but the engine was asked
   * for it, so that every stream's tokens are counted: the usage-only chunk is reported to the
   * observer and not relayed; every other byte is.
   */
  dropUsageChunk?: boolean;
  /** The event after which the stream is complete: `data: [DONE]` unless told (Responses streams end otherwise). */
  isFinalEvent?: (event: Buffer) => boolean;
  /**
   * The event(s) that end a stream that broke off (failed, timed out, or cut by a shutdown):
   * vLLM's `data: {"error"}` then `data: [DONE]` unless told (Responses streams: responses-failure.ts).
   */
  failureEvent?: (message: string, type: string, code: number) => Buffer;
  observer?: StreamObserver;
}

/** Usage as chat and completions (prompt/completion) or Responses (input/output) report it. */
interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  input_tokens?: number;
  output_tokens?: number;
}

/** vLLM's last chunk with `include_usage`: no choices, only the usage. */
function isUsageOnlyChunk(event: Buffer): boolean {
  return (event.includes('"choices":[]') || event.includes('"choices": []')) && hasUsage(event);
}

function hasUsage(event: Buffer): boolean {
  return event.includes('"usage":{') || event.includes('"usage": {');
}

/**
 * Turns an upstream SSE body into what the client is sent, as it arrives: complete events only,
 * in order, several already-queued events merged into one buffer, and always ending with
 * `data: [DONE]` — after an in-band error event when the upstream failed, went silent or the
 * server is stopping. The HTTP edge writes each buffer (with backpressure); pulling the next
 * one is what reads the upstream further. Stopping early (`return()`) means the client left.
 */
export class ResponseStreamer {
  private readonly logger = new Logger(ResponseStreamer.name);

  async *relay(upstream: EngineReply, options: RelayOptions): AsyncGenerator<Buffer, void, undefined> {
    const { signal, upstreamAbort, observer } = options;
    // 'first_token' until the first data event, then 'idle' between events.
    let timedOut: 'first_token' | 'idle' | undefined;
    let waitingFor: 'first_token' | 'idle' = 'first_token';
    const onTimeout = () => {
      timedOut = waitingFor;
      upstreamAbort.abort();
    };
    let idleTimer = setTimeout(onTimeout, Math.max(0, options.firstEventTimeoutMs));
    const splitter = new SseEventSplitter();
    let sawDone = false;
    const isFinal = options.isFinalEvent ?? isDoneEvent;
    const failed = options.failureEvent ?? sseErrorEvent;
    let first = true;
    // Stays so when the consumer stops pulling: the client is gone.
    let outcome: StreamOutcome = 'client_aborted';
    try {
      try {
        for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
          upstream.progress();
          let events = splitter.push(chunk);
          if (events.length === 0) continue;
          if (waitingFor === 'first_token') {
            waitingFor = 'idle';
            clearTimeout(idleTimer);
            idleTimer = setTimeout(onTimeout, options.idleTimeoutMs);
          } else idleTimer.refresh();
          if (options.dropUsageChunk) events = this.withoutUsageChunk(events, observer);
          for (let i = 0; i < events.length; i += options.maxMergedEvents) {
            const group = events.slice(i, i + options.maxMergedEvents);
            for (const event of group) {
              // A Responses stream's final event carries its usage.
              if (isFinal(event)) sawDone = true;
              if (!options.dropUsageChunk && observer?.usage && hasUsage(event)) this.reportUsage(event, observer);
            }
            if (first) {
              first = false;
              observer?.firstEvent?.();
            }
            const bytes = group.length === 1 ? group[0] : Buffer.concat(group);
            observer?.event?.(bytes.length, group.length);
            yield bytes;
            if (signal.aborted) break;
          }
          if (signal.aborted || sawDone) break;
        }
      } catch (error) {
        if (!signal.aborted && !timedOut) this.logger.warn(`upstream stream failed: ${(error as Error).message}`);
      } finally {
        clearTimeout(idleTimer);
      }
      if (signal.aborted) return;
      if (sawDone) {
        outcome = 'completed';
        return;
      }
      if (upstreamAbort.signal.reason instanceof ShuttingDown) {
        outcome = 'upstream_failed';
        yield failed('the server is shutting down; the stream was ended before it was complete', 'service_unavailable', 503);
        return;
      }
      if (timedOut === 'first_token') {
        outcome = 'idle_timeout';
        yield failed('the model engine sent no token within the first-token timeout (engine.timeouts.first_token_ms); the stream was ended', 'timeout_error', 504);
        return;
      }
      if (timedOut === 'idle') {
        outcome = 'idle_timeout';
        yield failed(`the model engine sent nothing for ${options.idleTimeoutMs} ms; the stream was ended`, 'timeout_error', 504);
        return;
      }
      outcome = 'upstream_failed';
      yield failed('the model engine closed the stream before it was complete', 'upstream_error', 502);
    } finally {
      clearTimeout(idleTimer);
      // A consumer that stops pulling once the final event was handed to it (the module API's
      // streams stop at [DONE]) has the whole stream, unless its client left: complete.
      if (outcome === 'client_aborted' && sawDone && !signal.aborted) outcome = 'completed';
      discardBody(upstream.body);
      observer?.end?.(outcome);
    }
  }

  /** The events less the usage-only chunk, whose usage goes to the observer. */
  private withoutUsageChunk(events: Buffer[], observer: StreamObserver | undefined): Buffer[] {
    const kept: Buffer[] = [];
    for (const event of events) {
      if (isUsageOnlyChunk(event)) {
        if (observer?.usage) this.reportUsage(event, observer);
      } else kept.push(event);
    }
    return kept;
  }

  /**
   * The usage an event reports: a chat or completions chunk's `usage` (prompt/completion tokens),
   * or a Responses final event's `response.usage` (input/output tokens), its data line wherever
   * it is in the event (a Responses event starts with its `event:` line).
   */
  private reportUsage(event: Buffer, observer: StreamObserver): void {
    try {
      const text = event.toString('utf8');
      const data = text.startsWith('data: ') ? 0 : text.indexOf('\ndata: ') + 1;
      if (data === 0 && !text.startsWith('data: ')) return;
      const json = JSON.parse(text.slice(data + 'data: '.length)) as { usage?: Usage | null; response?: { usage?: Usage | null } };
      const usage = json.usage ?? json.response?.usage;
      const prompt = usage?.prompt_tokens ?? usage?.input_tokens;
      if (typeof prompt === 'number') {
        observer.usage!({ prompt_tokens: prompt, completion_tokens: usage?.completion_tokens ?? usage?.output_tokens ?? 0 });
      }
    } catch {
      // Not JSON we understand: usage is only for metrics, the event is relayed as it is.
    }
  }
}
