/** The engine's JSON answer (or its error), relayed as it came: status, headers and body. */
export interface JsonAnswer {
  kind: 'json';
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * A stream the engine accepted (200, `text/event-stream`): the HTTP edge sends its headers
 * and then each buffer of `events` (complete SSE events, the last one `data: [DONE]`).
 * The edge must start pulling from `events` at once and go on until it ends, or call its
 * `return()` when the client left: that is when the request's admission slot and metrics are
 * settled (a generator closed before its first step would never run its cleanup).
 */
export interface StreamAnswer {
  kind: 'stream';
  headers: Record<string, string>;
  /** Nagle off on the client's socket: each event leaves at once. */
  noDelay: boolean;
  events: AsyncGenerator<Buffer, void, undefined>;
}

/** What the forwarder returns; the HTTP edge decides how to write it. */
export type Answer = JsonAnswer | StreamAnswer;
