import type { Endpoint } from '../../monitoring/model-metrics';
import type { ModelService } from './model-service';

/** A request a model service sends down the HTTP requests' path. */
export interface PathRequest {
  endpoint: Extract<Endpoint, 'chat_completions' | 'completions'>;
  /** The engine's path (`/v1/chat/completions`). */
  path: string;
  /** The OpenAI request body; `model` and `stream` are the path's to set. */
  body: Record<string, unknown>;
  /** Aborting it aborts the request wherever it is: waiting for admission, at the engine, relaying. */
  signal: AbortSignal;
}

/**
 * The path an HTTP request takes (orchestration's forwarder: the context check, admission, the
 * metrics, the engine call aborted by the request's signal, the relay and its timers), as a
 * model service's seed API reaches it. A port: orchestration implements it and the server's
 * model app gives it to the model module (ModelModuleOptions.requestPath).
 */
export abstract class RequestPath {
  /** A non-streaming request: the engine's JSON answer, parsed; rejects with an ApiError when refused or failed. */
  abstract json(model: ModelService, request: PathRequest): Promise<unknown>;

  /**
   * The relayed SSE events of a stream the engine accepted (complete events, `data: [DONE]`
   * last; an error event before it when the stream failed). Rejects with an ApiError when the
   * request is refused (admission's 429, the engine's 400). The caller must pull the events
   * until they end, or abort `signal` and then call their `return()`: that is when the
   * request's admission and metrics are settled.
   */
  abstract stream(model: ModelService, request: PathRequest): Promise<AsyncGenerator<Buffer, void, undefined>>;
}
