import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import { discardBody } from '../core/vllm-engine/read-body';
import { EngineReply } from '../core/vllm-engine/vllm-engine';
import { isDoneEvent, SseEventSplitter } from './sse-event-splitter';
import { sseErrorEvent } from './sse-error-event';
import { StreamObserver, StreamOutcome } from './stream-outcome';

export interface RelayOptions {
  /** Aborting it cancels the upstream request; the relay aborts it when the client leaves. */
  upstreamAbort: AbortController;
  /** At most this many already-queued events are merged into one write (never waiting for more). */
  maxMergedEvents: number;
  /** A stream silent this long ends with an error event. */
  idleTimeoutMs: number;
  /** Nagle off: each event leaves at once. */
  noDelay: boolean;
  observer?: StreamObserver;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  // Tells nginx and similar proxies not to buffer the stream.
  'x-accel-buffering': 'no',
};

/**
 * Relays an upstream SSE stream to the client as it arrives: complete events only, in order,
 * honouring backpressure, and always ending with `data: [DONE]` — after an in-band error event
 * when the upstream failed or went silent.
 */
export class ResponseStreamer {
  private readonly logger = new Logger(ResponseStreamer.name);

  async relay(upstream: EngineReply, res: ServerResponse, options: RelayOptions): Promise<StreamOutcome> {
    const { upstreamAbort, observer } = options;
    let clientGone = false;
    let idle = false;
    const onClose = () => {
      if (!res.writableFinished) {
        clientGone = true;
        upstreamAbort.abort();
      }
    };
    res.once('close', onClose);
    const idleTimer = setTimeout(() => {
      idle = true;
      upstreamAbort.abort();
    }, options.idleTimeoutMs);

    res.writeHead(200, SSE_HEADERS);
    if (options.noDelay) res.socket?.setNoDelay(true);
    res.flushHeaders();

    const splitter = new SseEventSplitter();
    let sawDone = false;
    let first = true;
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
          if (!res.write(bytes)) await this.drained(res);
          if (clientGone) break;
        }
        if (clientGone || sawDone) break;
      }
    } catch (error) {
      if (!clientGone && !idle) this.logger.warn(`upstream stream failed: ${(error as Error).message}`);
    } finally {
      clearTimeout(idleTimer);
      res.off('close', onClose);
    }

    if (clientGone || res.destroyed) {
      discardBody(upstream.body);
      return 'client_aborted';
    }
    if (sawDone) {
      res.end();
      discardBody(upstream.body);
      return 'completed';
    }
    discardBody(upstream.body);
    if (upstreamAbort.signal.reason instanceof Error && upstreamAbort.signal.reason.name === 'ShuttingDown') {
      res.end(sseErrorEvent('the server is shutting down; the stream was ended before it was complete', 'service_unavailable', 503));
      return 'upstream_failed';
    }
    if (idle) {
      res.end(sseErrorEvent(`the model engine sent nothing for ${options.idleTimeoutMs} ms; the stream was ended`, 'timeout_error', 504));
      return 'idle_timeout';
    }
    res.end(sseErrorEvent('the model engine closed the stream before it was complete', 'upstream_error', 502));
    return 'upstream_failed';
  }

  private async drained(res: ServerResponse): Promise<void> {
    if (res.destroyed) return;
    // 'close' also ends the wait, so a client that leaves while we wait never strands the relay.
    await Promise.race([once(res, 'drain'), once(res, 'close')]);
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
