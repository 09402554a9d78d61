/**
 * Why a call to an engine failed before a usable answer arrived. The HTTP layer maps each kind
 * to a status: connect → 502, timeout → 504, reset → 503, unavailable (no replica up) → 503.
 */
export type EngineFailureKind = 'connect' | 'timeout' | 'reset' | 'unavailable' | 'aborted';

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
  if (e?.name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') {
    return new EngineFailure('aborted', 'the request was aborted', upstream);
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    const what = code === 'UND_ERR_CONNECT_TIMEOUT' ? 'connecting to' : code === 'UND_ERR_BODY_TIMEOUT' ? 'waiting for more output from' : 'waiting for an answer from';
    return new EngineFailure('timeout', `timed out ${what} the model engine`, upstream);
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return new EngineFailure('connect', `could not connect to the model engine (${code})`, upstream);
  }
  return new EngineFailure('reset', `the model engine closed the connection (${code || e?.message || 'unknown error'})`, upstream);
}
