/**
 * Why a call to an engine failed before a usable answer arrived. The HTTP layer maps each kind
 * to a status: connect → 502, timeout → 504, reset → 503, unavailable (no replica up) → 503,
 * local (this process ran out of a resource; the engine was never reached) → 503.
 */
export type EngineFailureKind = 'connect' | 'timeout' | 'reset' | 'unavailable' | 'aborted' | 'local';

/**
 * Errors the operating system raises in this process when it lacks a resource to make a call:
 * descriptors (EMFILE per process, ENFILE system-wide), socket buffers (ENOBUFS), kernel memory
 * (ENOMEM), free local ports or addresses (EADDRNOTAVAIL; EAGAIN from connect(2) on Linux),
 * memory for name resolution (EAI_MEMORY). None of them says anything about the engine, so none
 * may mark a replica down or feed its circuit breaker.
 */
export const LOCAL_RESOURCE_ERRORS: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EADDRNOTAVAIL', 'EAGAIN', 'EAI_MEMORY']);

/** The local resource error behind `error` (itself, its cause, or one of an AggregateError's), if any. */
export function localResourceError(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 3) return undefined;
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && LOCAL_RESOURCE_ERRORS.has(e.code)) return e.code;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const code = localResourceError(inner, depth + 1);
      if (code) return code;
    }
  }
  return localResourceError(e.cause, depth + 1);
}

export class EngineFailure extends Error {
  constructor(
    readonly kind: EngineFailureKind,
    message: string,
    readonly upstream?: string,
  ) {
    super(message);
    this.name = 'EngineFailure';
  }
}

/** Classifies an undici or socket error. */
export function classifyTransportError(error: unknown, upstream: string): EngineFailure {
  const e = error as { code?: string; name?: string; message?: string };
  const code = e?.code ?? '';
  const local = localResourceError(error);
  if (local) return new EngineFailure('local', `this server is out of a local resource (${local}); the engine was not reached`, upstream);
  if (e?.name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') {
    return new EngineFailure('aborted', 'the request was aborted', upstream);
  }
  // A connection that was not made in connect_ms is an engine we could not reach, like a refused
  // one: nothing was sent, so the call may go to another replica, and this one is marked down.
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new EngineFailure('connect', 'could not connect to the model engine within engine.timeouts.connect_ms', upstream);
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    const what = code === 'UND_ERR_BODY_TIMEOUT' ? 'waiting for more output from' : 'waiting for an answer from';
    return new EngineFailure('timeout', `timed out ${what} the model engine`, upstream);
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return new EngineFailure('connect', `could not connect to the model engine (${code})`, upstream);
  }
  return new EngineFailure('reset', `the model engine closed the connection (${code || e?.message || 'unknown error'})`, upstream);
}
