import { EngineFailure } from './engine-failure';
import { ApiError } from '../../../common/api-error';

/** What a client sees when the engine could not be reached or did not answer. */
export function engineFailureToApiError(failure: EngineFailure, model: string): ApiError {
  switch (failure.kind) {
    case 'connect':
      return new ApiError(502, `The engine for ${model} could not be reached: ${failure.message}.`, 'upstream_error', 'engine_unreachable');
    case 'timeout':
      return new ApiError(504, `The engine for ${model} did not answer in time: ${failure.message}.`, 'timeout_error', 'engine_timeout');
    case 'unavailable':
      return new ApiError(503, `The engine for ${model} is down; try again later.`, 'service_unavailable', 'engine_unavailable', null, { 'retry-after': '5' });
    case 'local':
      // This server lacks a resource (descriptors, buffers, memory): the engine is fine, so the
      // message and code say so, and a client may retry shortly (or on another gateway replica).
      return new ApiError(503, `The server is overloaded and could not reach the engine for ${model}: ${failure.message}.`, 'service_unavailable', 'server_overloaded', null, { 'retry-after': '1' });
    case 'aborted':
      return new ApiError(499, 'The request was cancelled.', 'request_cancelled', 'cancelled');
    default:
      return new ApiError(503, `The engine for ${model} dropped the connection: ${failure.message}.`, 'service_unavailable', 'engine_reset', null, { 'retry-after': '1' });
  }
}
