/**
 * The DTOs' rules as JSON schemas, so the hot routes check a body with one function compiled once
 * at boot by ajv (the validator Fastify itself uses) instead of class-validator's per-request
 * metadata walk. Each schema accepts exactly the bodies its DTO accepts — class-validator's
 * quirks included — which a property-based test checks on generated bodies
 * (body-validators.spec.ts). A body a schema refuses is still judged by the DTO, whose first
 * problem names the 400 (validation-pipe.ts): the errors do not change.
 *
 * Read with class-validator's semantics in mind:
 * - `@IsOptional()` skips a property that is undefined *or null*: optional fields allow null.
 * - `@ValidateNested({ each: true })` on a list checks object items as the nested DTO; an item
 *   that is itself a list is walked the same way with no DTO for its objects (any object
 *   passes); anything else (null, a string, a number) is refused.
 * - Unknown properties are not checked (they are the engine's to judge).
 */

type Schema = Record<string, unknown>;

const optional = (schema: Schema): Schema => ({ anyOf: [{ type: 'null' }, schema] });
const positiveInt: Schema = { type: 'integer', minimum: 1 };

/** SamplingParamsDto and StreamOptionsDto. */
const SAMPLING_PROPERTIES: Record<string, Schema> = {
  model: optional({ type: 'string' }),
  max_tokens: optional(positiveInt),
  stream: optional({ type: 'boolean' }),
  stream_options: optional({ type: 'object', properties: { include_usage: optional({ type: 'boolean' }) } }),
};

/** ChatMessageDto: a role (any string: the engine's chat template judges it); content a string, null or a list of typed parts; name a string. */
const CHAT_MESSAGE: Schema = {
  type: 'object',
  required: ['role'],
  properties: {
    role: { type: 'string' },
    content: optional({ anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } } }] }),
    name: optional({ type: 'string' }),
  },
};

export const CHAT_COMPLETION_REQUEST_SCHEMA: Schema = {
  $id: 'ChatCompletionRequest',
  type: 'object',
  required: ['messages'],
  properties: {
    ...SAMPLING_PROPERTIES,
    messages: { type: 'array', minItems: 1, maxItems: 10_000, items: { anyOf: [CHAT_MESSAGE, { $ref: '#/$defs/nestedList' }] } },
    max_completion_tokens: optional(positiveInt),
  },
  $defs: {
    // class-validator walks a list inside the list with no DTO: objects pass, other values do not.
    nestedList: { type: 'array', items: { anyOf: [{ type: 'object' }, { $ref: '#/$defs/nestedList' }] } },
  },
};

const tokenIds: Schema = { type: 'array', minItems: 1, items: { type: 'integer', minimum: 0 } };

export const COMPLETION_REQUEST_SCHEMA: Schema = {
  $id: 'CompletionRequest',
  type: 'object',
  required: ['prompt'],
  properties: {
    ...SAMPLING_PROPERTIES,
    prompt: {
      anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string' } }, tokenIds, { type: 'array', minItems: 1, items: tokenIds }],
    },
  },
};
