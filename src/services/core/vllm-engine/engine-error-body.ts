import { ApiError } from '../../../common/api-error';

/**
 * vLLM's error object (`{"error":{"message","type","param","code"}}`, its shape since 0.10.1,
 * vllm PR #22099; also what ends a failed stream) as an ApiError with `status`. Another shape
 * keeps `text` as the message.
 */
export function engineErrorToApiError(status: number, error: unknown, text: string): ApiError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, any>;
  return new ApiError(status, String(e.message ?? text), String(e.type ?? 'upstream_error'), e.code ?? status, e.param ?? null);
}

/** An engine's error answer (status and body) as an ApiError. */
export function engineAnswerToApiError(status: number, body: Buffer | string): ApiError {
  const text = body.toString();
  let error: unknown;
  try {
    error = (JSON.parse(text) as { error?: unknown } | null)?.error;
  } catch {
    // Not JSON (a proxy's page): its text is the message.
  }
  return engineErrorToApiError(status, error, text);
}
