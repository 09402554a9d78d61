/**
 * json_object answers follow a JSON Schema written in the prompt (a heuristic: vLLM's json_object
 * grammar, vllm/entrypoints/openai/protocol.py -> structured_outputs json_object, allows any object;
 * a model writes the one the prompt asks for). Cases: a schema alone, in prose, pretty-printed,
 * wrapped in {"name", "schema"}, zod-to-json-schema's $ref shape, the AI SDK's "JSON schema:" block,
 * the last message winning, braces in prose, no schema, a schema whose root is not an object.
 */
import Ajv from 'ajv';
import { schemaInPrompt } from './prompt-schema';
import { constrainedText } from './structured-output';

const ajv = new Ajv({ strict: false });
const person = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1 }, age: { type: 'integer', minimum: 0, maximum: 120 } },
  required: ['name', 'age'],
  additionalProperties: false,
};

describe('schemaInPrompt', () => {
  it.each([
    ['alone', JSON.stringify(person)],
    ['in prose', `Describe someone. Answer in JSON valid against ${JSON.stringify(person)}, nothing else.`],
    ['pretty-printed', `Schema:\n${JSON.stringify(person, null, 2)}\n`],
    ['wrapped', `Use {"name": "person", "schema": ${JSON.stringify(person)}}`],
    ["after prose braces and an apostrophe", `Don't use {placeholders}. JSON schema:\n${JSON.stringify(person)}\nYou MUST answer with a JSON object that matches the JSON schema above.`],
  ])('finds the schema: %s', (_label, text) => {
    expect(schemaInPrompt([text])).toEqual(person);
  });

  it("zod-to-json-schema's $ref/definitions shape counts as an object schema", () => {
    const zodShape = { $ref: '#/definitions/person', definitions: { person }, $schema: 'http://json-schema.org/draft-07/schema#' };
    expect(schemaInPrompt([JSON.stringify(zodShape)])).toEqual(zodShape);
  });

  it('the last message that has one wins; none, or a non-object root, is null', () => {
    const other = { type: 'object', properties: { x: { type: 'boolean' } }, required: ['x'] };
    expect(schemaInPrompt([JSON.stringify(person), `Now use ${JSON.stringify(other)}`])).toEqual(other);
    expect(schemaInPrompt([JSON.stringify(person), 'no schema here'])).toEqual(person);
    expect(schemaInPrompt(['Reply with {"a": 1} style JSON', 'in JSON please'])).toBeNull();
    expect(schemaInPrompt([JSON.stringify({ type: 'array', items: { type: 'string' } })])).toBeNull();
  });
});

describe('constrainedText json_object', () => {
  it('follows the prompt\'s schema for every seed; without one, a generic object', () => {
    for (let seed = 0; seed < 20; seed++) {
      const value: unknown = JSON.parse(constrainedText({ kind: 'json_object' }, seed, [`Answer with JSON matching ${JSON.stringify(person)}`]));
      expect(ajv.validate(person, value)).toBe(true);
      const generic: unknown = JSON.parse(constrainedText({ kind: 'json_object' }, seed, ['Answer in JSON']));
      expect(typeof generic === 'object' && generic !== null && !Array.isArray(generic)).toBe(true);
      expect(ajv.validate(person, generic)).toBe(false);
    }
  });

  it('a schema whose root resolves to a non-object still yields an object', () => {
    const viaRef = { $ref: '#/$defs/list', $defs: { list: { type: 'array', items: { type: 'string' } } } };
    const value: unknown = JSON.parse(constrainedText({ kind: 'json_object' }, 3, [JSON.stringify(viaRef)]));
    expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
  });
});
