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
  /** A stream silent this long ends with an error event. */
  idleTimeoutMs: number;
  observer?: StreamObserver;
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
    let idle = false;
    const idleTimer = setTimeout(() => {
      idle = true;
      upstreamAbort.abort();
    }, options.idleTimeoutMs);
    const splitter = new SseEventSplitter();
    let sawDone = false;
    let first = true;
    // Stays so when the consumer stops pulling: the client is gone.
    let outcome: StreamOutcome = 'client_aborted';
    try {
      try {
        for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
          idleTimer.refresh();
          upstream.progress();
          const events = splitter.push(chunk);
          for (let i = 0; i < events.length; i += options.maxMergedEvents) {
            const group = events.slice(i, i + options.maxMergedEvents);
            for (const event of group) {
              if (isDoneEvent(event)) sawDone = true;
              else if (observer?.usage && (event.includes('"usage":{') || event.includes('"usage": {'))) this.reportUsage(event, observer);
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
        if (!signal.aborted && !idle) this.logger.warn(`upstream stream failed: ${(error as Error).message}`);
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
        yield sseErrorEvent('the server is shutting down; the stream was ended before it was complete', 'service_unavailable', 503);
        return;
      }
      if (idle) {
        outcome = 'idle_timeout';
        yield sseErrorEvent(`the model engine sent nothing for ${options.idleTimeoutMs} ms; the stream was ended`, 'timeout_error', 504);
        return;
      }
      outcome = 'upstream_failed';
      yield sseErrorEvent('the model engine closed the stream before it was complete', 'upstream_error', 502);
    } finally {
      clearTimeout(idleTimer);
      discardBody(upstream.body);
      observer?.end?.(outcome);
    }
  }

  private reportUsage(event: Buffer, observer: StreamObserver): void {
    try {
      const json = JSON.parse(event.toString('utf8').replace(/^data: /, '')) as { usage?: { prompt_tokens?: number; completion_tokens?: number } | null };
      if (json.usage && typeof json.usage.prompt_tokens === 'number') {
        observer.usage!({ prompt_tokens: json.usage.prompt_tokens, completion_tokens: json.usage.completion_tokens ?? 0 });
      }
    } catch {
      // Not JSON we understand: usage is only for metrics, the event is relayed as it is.
    }
  }
}
