import { StreamOutcome } from '../../monitoring/model-series';

export type { StreamOutcome };

export interface StreamUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/**
 * What the relay reports while it runs (metrics hook in here). Called on the hot path: a hook
 * must be cheap and must not throw.
 */
export interface StreamObserver {
  /** The first event is about to be handed on (time to first token). */
  firstEvent?(): void;
  /** One write to the client: `bytes` long, holding `events` complete SSE events. */
  event?(bytes: number, events: number): void;
  /** A usage report in the stream (`stream_options.include_usage`). */
  usage?(usage: StreamUsage): void;
  /** The stream ended, however it ended (called once). */
  end?(outcome: StreamOutcome): void;
}
