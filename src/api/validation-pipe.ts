import { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { validateSync, ValidationError } from 'class-validator';
import { ApiError } from '../common/api-error';
import { bodyValidatorFor } from './body-validators';
import { instantiate } from './dto/nested';

/** class-validator's type checks. */
const TYPE_RULES: ReadonlySet<string> = new Set(['isDefined', 'isArray', 'isString', 'isInt', 'isNumber', 'isBoolean', 'isObject']);

/** `messages.0.role` → `messages[0].role`, as OpenAI names parameters. */
function paramPath(path: string[]): string {
  return path.reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function firstProblem(errors: ValidationError[], path: string[] = []): { param: string; message: string } | undefined {
  for (const error of errors) {
    const here = [...path, error.property];
    if (error.constraints) {
      // When several rules fail, the type is the one to name ("must be a list", not "at most 10000").
      const typeRule = Object.keys(error.constraints).find((k) => TYPE_RULES.has(k));
      const message = typeRule ? error.constraints[typeRule] : Object.values(error.constraints)[0];
      return { param: paramPath(here), message };
    }
    const nested = firstProblem(error.children ?? [], here);
    if (nested) return nested;
  }
  return undefined;
}

/** The first problem as a 400 naming the parameter. */
function toApiError(errors: ValidationError[]): ApiError {
  const problem = firstProblem(errors);
  if (!problem) return ApiError.invalid('The request body is invalid.');
  const message = problem.message.includes(problem.param.split(/[.[]/).pop() ?? '') ? problem.message : `${problem.param}: ${problem.message}`;
  return ApiError.invalid(`Invalid request: ${message}.`, problem.param);
}

/**
 * The DTO's verdict on a body (class-validator): the body itself when it passes, else the first
 * problem as a 400 naming the parameter. It is checked on DTO instances made by `instantiate`,
 * not by Nest's ValidationPipe, whose plainToInstance copy cost a fifth of the gateway's
 * throughput (BENCHMARKS.md).
 */
export function checkWithDto(dto: new () => object, value: Record<string, unknown>): Record<string, unknown> {
  const errors = validateSync(instantiate(dto, value), { forbidUnknownValues: false });
  if (errors.length) throw toApiError(errors);
  return value;
}

/**
 * Validates request bodies against the DTOs and answers the first problem as a 400 naming the
 * parameter. The body is not transformed: it is forwarded as the client sent it. Depth and size
 * limits were applied to the raw bytes before parsing (json-body-parser.ts).
 *
 * The hot routes' DTOs (chat, completions) also have a JSON schema compiled at boot
 * (body-validators.ts) that accepts exactly the bodies the DTO accepts: a body it accepts is
 * passed at once, without class-validator's per-request walk of its metadata (about a tenth of
 * the gateway's CPU per request, BENCHMARKS.md). A body it refuses goes to the DTO, whose first
 * problem is the 400, so every error stays what it was.
 */
export class OpenAIValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body') return value;
    if (value === undefined) throw ApiError.invalid('The request body is empty; a JSON object is expected.', null, 'invalid_json');
    // A body must be an object: class-validator would pass a string or an array straight through.
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw ApiError.invalid('The request body must be a JSON object, sent with Content-Type: application/json.', null, 'invalid_body');
    }
    const dto = metadata.metatype;
    if (!dto || dto === Object) return value;
    if (bodyValidatorFor(dto)?.(value)) return value;
    return checkWithDto(dto as new () => object, value as Record<string, unknown>);
  }
}
