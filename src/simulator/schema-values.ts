/**
 * Values that validate against a JSON Schema, drawn with json-schema-faker from a seeded PRNG so
 * that a request with the same seed always gets the same value. This is how the simulated model
 * "writes" tool arguments and structured outputs: vLLM constrains decoding to the schema (xgrammar),
 * so whatever it returns is valid; the simulator returns a valid value too, just not a meaningful one.
 */
import { JSONSchemaFaker } from 'json-schema-faker';
import { createRng } from './prng';

// Options that make the faker's output a function of its schema and seed only. Optional properties
// come half of the time (the faker's default) so that clients see both kinds.
const OPTIONS = {
  failOnInvalidTypes: false,
  failOnInvalidFormat: false,
  ignoreMissingRefs: true,
  alwaysFakeOptionals: false,
  useDefaultValue: false,
  useExamplesValue: false,
  // Short strings and arrays keep answers small, as a model's usually are.
  maxLength: 24,
  maxItems: 3,
  minDateTime: '2024-01-01T00:00:00.000Z',
  maxDateTime: '2026-01-01T00:00:00.000Z',
  refDepthMax: 3,
};

/** A value valid against `schema` (a JSON Schema object), deterministic for `seed`. */
export function valueFromSchema(schema: Record<string, unknown>, seed: number): unknown {
  // The faker keeps its options globally; generation is synchronous, so setting them per call is safe.
  JSONSchemaFaker.option({ ...OPTIONS, random: createRng(seed) });
  return JSONSchemaFaker.generate(schema as Parameters<typeof JSONSchemaFaker.generate>[0]);
}

/** A string matching the regular expression `pattern`, deterministic for `seed`. */
export function stringFromPattern(pattern: string, seed: number): string {
  JSONSchemaFaker.option({ ...OPTIONS, random: createRng(seed) });
  return JSONSchemaFaker.random.randexp(pattern);
}
