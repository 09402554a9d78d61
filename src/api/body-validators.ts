import Ajv, { ValidateFunction } from 'ajv';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { CompletionRequestDto } from './dto/completion-request.dto';
import { CHAT_COMPLETION_REQUEST_SCHEMA, COMPLETION_REQUEST_SCHEMA } from './dto/request-schemas';

/**
 * One ajv instance, set never to change a body (the body is forwarded as the client sent it):
 * no type coercion, no defaults, no removal of extra properties — unlike Fastify's own defaults
 * for route schemas. `strictNumbers` refuses Infinity and NaN as numbers, as class-validator's
 * IsInt does (JSON.parse turns 1e400 into Infinity).
 */
const ajv = new Ajv({ coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false, strictNumbers: true, strict: true });

/** The compiled schema of each DTO class with one, compiled when this module loads (at boot). */
const VALIDATORS = new Map<unknown, ValidateFunction>([
  [ChatCompletionRequestDto, ajv.compile(CHAT_COMPLETION_REQUEST_SCHEMA)],
  [CompletionRequestDto, ajv.compile(COMPLETION_REQUEST_SCHEMA)],
]);

/** The compiled schema for a DTO class, if it has one. */
export function bodyValidatorFor(dto: unknown): ValidateFunction | undefined {
  return VALIDATORS.get(dto);
}
