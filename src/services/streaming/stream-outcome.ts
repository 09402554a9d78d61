/** How a relayed stream ended. */
export type StreamOutcome = 'completed' | 'client_aborted' | 'upstream_failed' | 'idle_timeout';

export interface StreamUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** What the relay reports while it runs (metrics hook in here). */
export interface StreamObserver {
  firstEvent?(): void;
  event?(bytes: number): void;
  usage?(usage: StreamUsage): void;
}
