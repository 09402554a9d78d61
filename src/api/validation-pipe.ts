import { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { validateSync, ValidationError } from 'class-validator';
import { ApiError } from '../common/api-error';
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
 * Validates request bodies against the DTOs (class-validator) and answers the first problem as a
 * 400 naming the parameter. The body is not transformed: it is forwarded as the client sent it.
 * Depth and size limits were applied to the raw bytes before parsing (json-body-parser.ts).
 * It is checked on DTO instances made by `instantiate`, not by Nest's ValidationPipe, whose
 * plainToInstance copy cost a fifth of the gateway's throughput (BENCHMARKS.md).
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
    const errors = validateSync(instantiate(dto as new () => object, value as Record<string, unknown>), { forbidUnknownValues: false });
    if (errors.length) throw toApiError(errors);
    return value;
  }
}
