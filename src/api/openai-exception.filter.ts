import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiError } from '../common/api-error';

/** Fastify's own errors that a client causes, as OpenAI-style errors. */
export function fastifyErrorToApiError(error: { code?: string; statusCode?: number; message?: string }): ApiError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'The request body is too large.', 'invalid_request_error', 'request_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return ApiError.invalid('The request body must be JSON with Content-Type: application/json.', null, 'invalid_content_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return ApiError.invalid('The request body is empty; a JSON object is expected.', null, 'invalid_json');
    default:
      if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (error.statusCode === 400 && /JSON/.test(error.message ?? ''))) {
        return ApiError.invalid('We could not parse the JSON body of your request.', null, 'invalid_json');
      }
      return undefined;
  }
}

/** The one place errors become responses: OpenAI's error shape with the right status. */
@Catch()
export class OpenAIExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const error = this.toApiError(exception);
    if (reply.sent || reply.raw.headersSent) {
      // The answer is already on its way (a stream): nothing more can be said on it.
      if (!reply.raw.writableEnded) reply.raw.end();
      return;
    }
    void reply.status(error.status).headers(error.headers).send(error.body());
  }

  private toApiError(exception: unknown): ApiError {
    if (exception instanceof ApiError) return exception;
    if (exception instanceof HttpException) {
      // Fastify's own errors (body limit, bad JSON) arrive wrapped, the original as the cause.
      const cause = exception.cause as { code?: string } | undefined;
      const fromCause = cause && typeof cause === 'object' ? fastifyErrorToApiError(cause) : undefined;
      if (fromCause) return fromCause;
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message = typeof response === 'string' ? response : ((response as { message?: unknown }).message ?? exception.message);
      const text = Array.isArray(message) ? message.join('; ') : String(message);
      if (status === 404) return new ApiError(404, text, 'invalid_request_error', 'not_found');
      return new ApiError(status, text, status >= 500 ? 'server_error' : 'invalid_request_error', null);
    }
    const fastify = exception && typeof exception === 'object' ? fastifyErrorToApiError(exception as never) : undefined;
    if (fastify) return fastify;
    // The client went away while its body was arriving: nobody reads the answer, and it is not our fault.
    const gone = exception as { code?: string; message?: string } | undefined;
    if (gone?.code === 'ECONNRESET' || gone?.message === 'aborted') {
      return ApiError.invalid('The request body was not received completely.', null, 'request_aborted');
    }
    this.logger.error(`unexpected error: ${(exception as Error)?.stack ?? String(exception)}`);
    return new ApiError(500, 'The server had an error while processing your request.', 'server_error', 'internal_error');
  }
}
