/**
 * Structured outputs per vLLM version (vllm/entrypoints/openai/protocol.py: response_format,
 * structured_outputs from 0.11, guided_* until their removal in 0.12), and the text written under
 * each constraint, validated with ajv.
 */
import Ajv from 'ajv';
import { SimulatorError, FieldProblem } from './errors';
import { constrainedText, readOutputConstraint } from './structured-output';
import { versionFeatures } from './vllm-version';

const v011 = versionFeatures('0.11.0');
const v012 = versionFeatures('0.12.0');
const read = (body: Record<string, unknown>, features = v011) => {
  const problems: FieldProblem[] = [];
  return { c: readOutputConstraint(body, features, problems), problems };
};
const schema = { type: 'object', properties: { n: { type: 'integer', minimum: 1, maximum: 9 }, s: { type: 'string', pattern: '^[a-z]{3}$' } }, required: ['n', 's'], additionalProperties: false };

describe('vLLM versions', () => {
  it('0.11 has structured_outputs and the guided_* fields; 0.12 drops guided_*; semver-like strings parse', () => {
    expect(versionFeatures('0.11.0')).toEqual({ structuredOutputs: true, guidedFields: true });
    expect(versionFeatures('0.11.2rc1')).toEqual({ structuredOutputs: true, guidedFields: true });
    expect(versionFeatures('0.12.0')).toEqual({ structuredOutputs: true, guidedFields: false });
    expect(versionFeatures('0.10.2')).toEqual({ structuredOutputs: false, guidedFields: true });
  });
});

describe('reading the constraint', () => {
  it('response_format: json_schema, json_object, text', () => {
    expect(read({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }).c).toEqual({ kind: 'json', schema });
    expect(read({ response_format: { type: 'json_object' } }).c).toEqual({ kind: 'json_object' });
    expect(read({ response_format: { type: 'text' } }).c).toBeNull();
    expect(read({ response_format: { type: 'yaml' } }).problems[0]).toMatchObject({ type: 'literal_error', loc: ['body', 'response_format', 'ResponseFormat', 'type'] });
  });

  it('json_schema without json_schema: the AssertionError vLLM turns into a 500', () => {
    expect(() => read({ response_format: { type: 'json_schema' } })).toThrow(SimulatorError);
    try {
      read({ response_format: { type: 'json_schema' } });
    } catch (err) {
      expect((err as SimulatorError).status).toBe(500);
    }
  });

  it('structured_outputs json/regex/choice; more than one is the validator\'s error', () => {
    expect(read({ structured_outputs: { json: schema } }).c).toEqual({ kind: 'json', schema });
    expect(read({ structured_outputs: { json: JSON.stringify(schema) } }).c).toEqual({ kind: 'json', schema });
    expect(read({ structured_outputs: { regex: '[0-9]{3}' } }).c).toEqual({ kind: 'regex', pattern: '[0-9]{3}' });
    expect(read({ structured_outputs: { choice: ['a', 'b'] } }).c).toEqual({ kind: 'choice', choices: ['a', 'b'] });
    expect(read({ structured_outputs: { choice: ['a'], regex: 'x' } }).problems[0].msg).toMatch(/only use one kind of constraints for structured outputs/);
  });

  it('guided_* before 0.12; from 0.12 they are unknown fields, ignored as vLLM ignores extra fields', () => {
    expect(read({ guided_choice: ['x', 'y'] }).c).toEqual({ kind: 'choice', choices: ['x', 'y'] });
    expect(read({ guided_json: schema }).c).toEqual({ kind: 'json', schema });
    expect(read({ guided_choice: ['x'], guided_regex: 'y' }).problems[0].msg).toMatch(/only use one kind of guided decoding/);
    expect(read({ guided_choice: ['x', 'y'] }, v012).c).toBeNull();
    expect(read({ guided_json: schema }, v012).problems).toEqual([]);
  });

  it('response_format wins over structured_outputs, as protocol.py sets structured_outputs.json from it', () => {
    expect(read({ response_format: { type: 'json_object' }, structured_outputs: { choice: ['a'] } }).c).toEqual({ kind: 'json_object' });
  });
});

describe('text under a constraint', () => {
  const ajv = new Ajv({ strict: false });

  it('JSON valid against the schema, the same for the same seed, varying with it', () => {
    const texts = [1, 2, 3, 4, 5].map((seed) => constrainedText({ kind: 'json', schema }, seed));
    for (const t of texts) expect(ajv.validate(schema, JSON.parse(t))).toBe(true);
    expect(constrainedText({ kind: 'json', schema }, 3)).toBe(texts[2]);
    expect(new Set(texts).size).toBeGreaterThan(1);
    // Python's json.dumps separators, as the model writes and vLLM returns.
    expect(texts[0]).toMatch(/^\{"n": \d, "s": "[a-z]{3}"\}$/);
  });

  it('json_object is an object; regex matches; choice is one of the choices', () => {
    const obj: unknown = JSON.parse(constrainedText({ kind: 'json_object' }, 1));
    expect(typeof obj === 'object' && obj !== null && !Array.isArray(obj)).toBe(true);
    for (const seed of [1, 2, 3]) {
      expect(constrainedText({ kind: 'regex', pattern: '^[A-F]{2}-\\d{3}$' }, seed)).toMatch(/^[A-F]{2}-\d{3}$/);
      expect(['red', 'green', 'blue']).toContain(constrainedText({ kind: 'choice', choices: ['red', 'green', 'blue'] }, seed));
    }
  });

  it('grammars and structural tags are not imitated: a 400 that says so, never free text', () => {
    expect(() => constrainedText({ kind: 'grammar' }, 1)).toThrow(/cannot generate text from a grammar/);
    expect(() => constrainedText({ kind: 'structural_tag' }, 1)).toThrow(/structural-tag/);
  });
});
