/**
 * Structured outputs as vLLM 0.11+ reads them from a request (protocol.py `to_sampling_params`):
 * `response_format` (`text`, `json_object`, `json_schema`), vLLM's own `structured_outputs`
 * (`json`, `regex`, `choice`, `grammar`, `json_object`; 0.11 and later) and the deprecated
 * `guided_json` / `guided_regex` / `guided_choice` / `guided_grammar` (before 0.12, see
 * vllm-version.ts). The result is one constraint, and the text the simulated model writes under it.
 *
 * vLLM decodes under the constraint with a grammar engine, so the output always satisfies it (unless
 * max_tokens cuts it: then it is truncated, finish_reason "length"). The simulator writes a value
 * that satisfies it from a seeded generator. Grammars (EBNF/Lark) and structural tags are not
 * imitated: they get a 400 that says so instead of unconstrained text.
 */
import { SimulatorError, FieldProblem } from './errors';
import { pyJsonDumps } from './py-json';
import { createRng, mix32 } from './prng';
import { schemaInPrompt } from './prompt-schema';
import { stringFromPattern, valueFromSchema } from './schema-values';
import type { VersionFeatures } from './vllm-version';

type JsonObject = Record<string, unknown>;

export type OutputConstraint =
  | { kind: 'json'; schema: JsonObject }
  | { kind: 'json_object' }
  | { kind: 'regex'; pattern: string }
  | { kind: 'choice'; choices: string[] }
  | { kind: 'grammar' }
  | { kind: 'structural_tag' };

const RESPONSE_FORMAT_TYPES = ['text', 'json_object', 'json_schema'];

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A schema given as an object or as JSON text (guided_json and structured_outputs.json accept both). */
function schemaOf(v: unknown, loc: string[], problems: FieldProblem[]): JsonObject | null {
  if (isObject(v)) return v;
  if (typeof v === 'string') {
    try {
      const parsed: unknown = JSON.parse(v);
      if (isObject(parsed)) return parsed;
    } catch {
      // fall through to the problem below
    }
  }
  problems.push({ type: 'dict_type', loc, msg: 'Input should be a valid dictionary', input: v });
  return null;
}

function readResponseFormat(body: JsonObject, problems: FieldProblem[]): OutputConstraint | 'text' | null {
  const rf = body.response_format;
  if (rf === undefined || rf === null) return null;
  if (!isObject(rf)) {
    problems.push({ type: 'model_attributes_type', loc: ['body', 'response_format'], msg: 'Input should be a valid dictionary or object to extract fields from', input: rf });
    return null;
  }
  if (rf.type === 'structural_tag') return { kind: 'structural_tag' };
  if (typeof rf.type !== 'string' || !RESPONSE_FORMAT_TYPES.includes(rf.type)) {
    // pydantic reports the union's members; this is the ResponseFormat member's complaint.
    problems.push({
      type: 'literal_error',
      loc: ['body', 'response_format', 'ResponseFormat', 'type'],
      msg: "Input should be 'text', 'json_object' or 'json_schema'",
      input: rf.type,
    });
    return null;
  }
  if (rf.type === 'text') return 'text';
  if (rf.type === 'json_object') return { kind: 'json_object' };
  const js = rf.json_schema;
  if (js === undefined || js === null) {
    // vLLM asserts json_schema is set; the AssertionError becomes a 500 with an empty message.
    throw new SimulatorError(500, '', 'Internal Server Error');
  }
  if (!isObject(js)) {
    problems.push({ type: 'model_type', loc: ['body', 'response_format', 'ResponseFormat', 'json_schema'], msg: 'Input should be a valid dictionary or instance of JsonSchemaResponseFormat', input: js });
    return null;
  }
  if (typeof js.name !== 'string') {
    problems.push({ type: js.name === undefined ? 'missing' : 'string_type', loc: ['body', 'response_format', 'ResponseFormat', 'json_schema', 'name'], msg: js.name === undefined ? 'Field required' : 'Input should be a valid string', input: js.name === undefined ? js : js.name });
    return null;
  }
  if (js.schema === undefined || js.schema === null) return 'text';
  const schema = schemaOf(js.schema, ['body', 'response_format', 'ResponseFormat', 'json_schema', 'schema'], problems);
  return schema ? { kind: 'json', schema } : null;
}

/** The constraint of one set of fields named json/regex/choice/grammar (structured_outputs or guided_*). */
function readFields(
  get: (name: 'json' | 'regex' | 'choice' | 'grammar') => unknown,
  loc: (name: string) => string[],
  problems: FieldProblem[],
): OutputConstraint | null {
  const json = get('json');
  if (json !== undefined && json !== null) {
    const schema = schemaOf(json, loc('json'), problems);
    return schema ? { kind: 'json', schema } : null;
  }
  const regex = get('regex');
  if (regex !== undefined && regex !== null) {
    if (typeof regex !== 'string') {
      problems.push({ type: 'string_type', loc: loc('regex'), msg: 'Input should be a valid string', input: regex });
      return null;
    }
    return { kind: 'regex', pattern: regex };
  }
  const choice = get('choice');
  if (choice !== undefined && choice !== null) {
    if (!Array.isArray(choice) || !choice.every((c) => typeof c === 'string')) {
      problems.push({ type: 'list_type', loc: loc('choice'), msg: 'Input should be a valid list', input: choice });
      return null;
    }
    return { kind: 'choice', choices: choice };
  }
  const grammar = get('grammar');
  if (grammar !== undefined && grammar !== null) return { kind: 'grammar' };
  return null;
}

/**
 * The request's output constraint, or null for free text. Pydantic-level problems are pushed to
 * `problems` (reported with the request's other validation errors).
 */
export function readOutputConstraint(body: JsonObject, features: VersionFeatures, problems: FieldProblem[]): OutputConstraint | null {
  const fromFormat = readResponseFormat(body, problems);
  // response_format json_object / json_schema override the other fields (protocol.py sets
  // structured_outputs.json / json_object from it).
  if (fromFormat !== null && fromFormat !== 'text') return fromFormat;

  if (features.structuredOutputs && body.structured_outputs !== undefined && body.structured_outputs !== null) {
    const so = body.structured_outputs;
    if (!isObject(so)) {
      problems.push({ type: 'dataclass_type', loc: ['body', 'structured_outputs'], msg: 'Input should be a dictionary or an instance of StructuredOutputsParams', input: so });
      return null;
    }
    const count = ['json', 'regex', 'choice'].filter((k) => so[k] !== undefined && so[k] !== null).length;
    if (count > 1) {
      problems.push({
        type: 'value_error',
        loc: ['body'],
        msg: "Value error, You can only use one kind of constraints for structured outputs ('json', 'regex' or 'choice').",
        input: body,
      });
      return null;
    }
    const c = readFields((k) => so[k], (k) => ['body', 'structured_outputs', k], problems);
    if (c) return c;
    if (so.json_object === true) return { kind: 'json_object' };
    if (so.structural_tag !== undefined && so.structural_tag !== null) return { kind: 'structural_tag' };
    return null;
  }
  if (features.guidedFields) {
    const count = ['guided_json', 'guided_regex', 'guided_choice'].filter((k) => body[k] !== undefined && body[k] !== null).length;
    if (count > 1) {
      problems.push({
        type: 'value_error',
        loc: ['body'],
        msg: "Value error, You can only use one kind of guided decoding ('guided_json', 'guided_regex' or 'guided_choice').",
        input: body,
      });
      return null;
    }
    return readFields((k) => body[`guided_${k}`], (k) => ['body', `guided_${k}`], problems);
  }
  return null;
}

/** The generic object of a json_object answer whose prompt names no schema (a heuristic, see jsonObjectText). */
const JSON_OBJECT_SCHEMA = {
  type: 'object',
  properties: { answer: { type: 'string' }, confidence: { type: 'number', minimum: 0, maximum: 1 }, tags: { type: 'array', items: { type: 'string' } } },
  required: ['answer'],
};

/**
 * json_object: vLLM allows any JSON object; the simulated model writes one that follows the JSON
 * Schema written in the prompt (prompt-schema.ts), else a small object of its own shape. Both are
 * heuristics standing in for what a model would choose to write.
 */
function jsonObjectText(promptTexts: readonly string[], seed: number): string {
  const schema = schemaInPrompt(promptTexts);
  if (schema) {
    try {
      const value = valueFromSchema(schema, seed);
      // The grammar only allows an object: a schema whose root resolves to anything else is not followed.
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return pyJsonDumps(value);
    } catch {
      // A schema the faker cannot follow: the model still writes an object.
    }
  }
  return pyJsonDumps(valueFromSchema(JSON_OBJECT_SCHEMA, seed));
}

/**
 * The complete text the simulated model writes under `c`, deterministic for `seed`. JSON is written
 * as Python's json.dumps writes it, a plausible model style (vLLM allows any JSON whitespace).
 * `promptTexts` (the messages' or the prompt's text) matter to json_object only.
 */
export function constrainedText(c: OutputConstraint, seed: number, promptTexts: readonly string[] = []): string {
  switch (c.kind) {
    case 'json':
      return pyJsonDumps(valueFromSchema(c.schema, seed));
    case 'json_object':
      return jsonObjectText(promptTexts, seed);
    case 'regex':
      try {
        return stringFromPattern(c.pattern, seed);
      } catch (err) {
        throw new SimulatorError(400, `Invalid regular expression for structured outputs: ${(err as Error).message}`);
      }
    case 'choice':
      if (c.choices.length === 0) throw new SimulatorError(400, 'structured outputs: `choice` must not be empty');
      return c.choices[Math.floor(createRng(mix32(seed, 0xc401ce))() * c.choices.length)];
    case 'grammar':
      throw new SimulatorError(400, 'The vLLM simulator cannot generate text from a grammar (structured_outputs.grammar / guided_grammar); a real vLLM would.');
    case 'structural_tag':
      throw new SimulatorError(400, 'The vLLM simulator cannot generate structural-tag outputs (response_format structural_tag); a real vLLM would.');
  }
}
