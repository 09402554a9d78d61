/**
 * An error a client should see, in OpenAI's shape: `{"error":{"message","type","param","code"}}`.
 * Services throw these; one exception filter writes them.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | number | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | number | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  static invalid(message: string, param: string | null = null, code: string | null = null): ApiError {
    return new ApiError(400, message, 'invalid_request_error', code, param);
  }

  static modelNotFound(model: string, available: readonly string[]): ApiError {
    return new ApiError(
      404,
      `The model \`${model}\` does not exist or you do not have access to it. Available models: ${available.join(', ')}.`,
      'invalid_request_error',
      'model_not_found',
      'model',
    );
  }

  /** The same answer for a missing, malformed or wrong key: nothing to tell them apart. */
  static unauthorized(): ApiError {
    return new ApiError(401, 'Incorrect or missing API key. Send it as "Authorization: Bearer <key>".', 'invalid_request_error', 'invalid_api_key', null, { 'www-authenticate': 'Bearer' });
  }

  static rateLimited(message: string, retryAfterSeconds: number): ApiError {
    return new ApiError(429, message, 'rate_limit_exceeded', 'rate_limit_exceeded', null, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}
