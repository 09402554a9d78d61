import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiError } from './api-error';
import { assertWithinJsonLimits, JsonLimits } from './json-limits';

/** `messages.0.role` → `messages[0].role`, as OpenAI names parameters. */
function paramPath(path: string[]): string {
  return path.reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function firstProblem(errors: ValidationError[], path: string[] = []): { param: string; message: string } | undefined {
  for (const error of errors) {
    const here = [...path, error.property];
    if (error.constraints) {
      const message = Object.values(error.constraints)[0];
      return { param: paramPath(here), message };
    }
    const nested = firstProblem(error.children ?? [], here);
    if (nested) return nested;
  }
  return undefined;
}

/**
 * Validates request bodies against the DTOs and answers the first problem as a 400 naming the
 * parameter. The body is not transformed: it is forwarded as the client sent it.
 */
export class OpenAIValidationPipe extends ValidationPipe {
  constructor(private readonly limits: JsonLimits = { maxDepth: 32, maxNodes: 200_000 }) {
    super(OPTIONS);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // class-validator passes a string or an array straight through; a body must be an object.
    if (metadata.type === 'body' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw ApiError.invalid('The request body must be a JSON object, sent with Content-Type: application/json.', null, 'invalid_body');
    }
    if (metadata.type === 'body') assertWithinJsonLimits(value, this.limits);
    return super.transform(value, metadata);
  }
}

const OPTIONS: ConstructorParameters<typeof ValidationPipe>[0] = {
    transform: false,
    whitelist: false,
    forbidUnknownValues: false,
    stopAtFirstError: true,
    validateCustomDecorators: false,
    exceptionFactory: (errors) => {
      const problem = firstProblem(errors);
      if (!problem) return ApiError.invalid('The request body is invalid.');
      const message = problem.message.includes(problem.param.split(/[.[]/).pop() ?? '') ? problem.message : `${problem.param}: ${problem.message}`;
      return ApiError.invalid(`Invalid request: ${message}.`, problem.param);
    },
};
