import { ApiError } from '../common/api-error';

export interface JsonLimits {
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
  /** Most values in the body (containers and scalars). */
  maxNodes: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Refuses a body nested deeper or holding more values than the limits by scanning its raw
 * bytes, before JSON.parse runs: parsing 2,000,000 nested brackets costs most of a second of
 * the one event loop every listener shares, the scan a few milliseconds (BENCHMARKS.md,
 * "Hostile bodies"). The scan is one pass, no allocation, and only tracks whether it is inside a
 * string; it does not validate JSON (JSON.parse does, afterwards, on bodies within the limits).
 *
 * Values are counted as 1 + containers + commas outside strings: exact for a body without
 * empty arrays or objects, one more per empty one (a bound, never an undercount).
 */
export function assertJsonWithinLimits(bytes: Uint8Array, limits: JsonLimits): void {
  let depth = 0;
  let nodes = 1;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    switch (byte) {
      case QUOTE:
        inString = true;
        break;
      case OPEN_BRACKET:
      case OPEN_BRACE:
        if (++depth > limits.maxDepth) throw tooDeep(limits);
        if (++nodes > limits.maxNodes) throw tooComplex(limits);
        break;
      case CLOSE_BRACKET:
      case CLOSE_BRACE:
        depth--;
        break;
      case COMMA:
        if (++nodes > limits.maxNodes) throw tooComplex(limits);
        break;
    }
  }
}

function tooDeep(limits: JsonLimits): ApiError {
  return ApiError.invalid(`The request body is nested deeper than ${limits.maxDepth} levels.`, null, 'body_too_deep');
}

function tooComplex(limits: JsonLimits): ApiError {
  return ApiError.invalid(`The request body holds more than ${limits.maxNodes} values.`, null, 'body_too_complex');
}
