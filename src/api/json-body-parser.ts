import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import secureJson from 'secure-json-parse';
import { ApiError } from '../common/api-error';
import { assertJsonWithinLimits, JsonLimits } from './json-limits';

/**
 * The JSON body parser of every listener: the limits first, on the raw bytes (the scan is
 * linear and cheap), then the parse, so no work proportional to a hostile body's nesting or
 * value count happens before the limits that bound it. The raw bytes stay on `req.rawBody`:
 * the forwarder sends them on as they came. `__proto__` and `constructor.prototype` keys are
 * refused, as Fastify's own parser does by default.
 */
export function useLimitedJsonParser(app: NestFastifyApplication, bodyLimit: number, limits: () => JsonLimits): void {
  app.useBodyParser('application/json', { bodyLimit }, (_req: unknown, body: Buffer, done: (error: Error | null, parsed?: unknown) => void) => {
    // No body: the route decides. Routes that read one refuse it (OpenAIValidationPipe); those
    // that take none (a stored response's retrieve and cancel, which the openai SDK sends with
    // Content-Type: application/json and nothing else) serve it, as vLLM's do.
    if (body.length === 0) return done(null, undefined);
    try {
      assertJsonWithinLimits(body, limits());
    } catch (error) {
      return done(error as Error);
    }
    let parsed: unknown;
    try {
      parsed = secureJson.parse(body, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch (error) {
      if ((error as Error).message.includes('prototype')) {
        return done(ApiError.invalid('The request body has a "__proto__" or "constructor.prototype" key, which is refused.', null, 'invalid_json'));
      }
      return done(ApiError.invalid('We could not parse the JSON body of your request.', null, 'invalid_json'));
    }
    done(null, parsed);
  });
}
