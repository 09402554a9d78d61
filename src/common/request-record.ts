/**
 * What one request did, filled in along its path and written once, by the access log, when its
 * answer is complete: never a prompt, a key or anything else the client sent but its request id.
 */
export class RequestRecord {
  /** The configured id of the model that answered (the requested one, or its fallback). */
  model?: string;
  promptTokens?: number;
  completionTokens?: number;

  constructor(readonly id: string) {}
}
