import { ApiError } from '../common/api-error';

export interface JsonLimits {
  maxDepth: number;
  maxNodes: number;
}

/**
 * Refuses bodies nested deeper or holding more values than the limits, before anything walks
 * them recursively: JSON.parse accepts millions of levels, but JSON.stringify (and validation,
 * and logging) of such a value overflows the stack. Iterative, so the check itself cannot.
 */
export function assertWithinJsonLimits(value: unknown, limits: JsonLimits): void {
  const stack: [unknown, number][] = [[value, 1]];
  let nodes = 0;
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (++nodes > limits.maxNodes) {
      throw ApiError.invalid(`The request body holds more than ${limits.maxNodes} values.`, null, 'body_too_complex');
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth > limits.maxDepth) {
      throw ApiError.invalid(`The request body is nested deeper than ${limits.maxDepth} levels.`, null, 'body_too_deep');
    }
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) stack.push([child, depth + 1]);
  }
}
