import 'reflect-metadata';
import fc from 'fast-check';
import { ArgumentMetadata } from '@nestjs/common';
import { ApiError } from '../common/api-error';
import { bodyValidatorFor } from './body-validators';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { CompletionRequestDto } from './dto/completion-request.dto';
import { CHAT_ROLES } from './dto/sampling-params.dto';
import { checkWithDto, OpenAIValidationPipe } from './validation-pipe';

/** What a check did with a body: passed it on (the same object, unchanged), or which 400 it answered. */
function outcome(body: Record<string, unknown>, run: () => unknown): { passed: true; unchanged: boolean } | { passed: false; status: number; body: unknown } {
  const before = JSON.stringify(body);
  try {
    const value = run();
    return { passed: true, unchanged: value === body && JSON.stringify(body) === before };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { passed: false, status: error.status, body: error.body() };
  }
}

// Objects as JSON.parse makes them (never with a null prototype). Values that sit on the rules' edges: each kind of JSON value, numbers around the bounds
// (0, 1, negative, fractional, huge, Infinity as JSON.parse makes of 1e400), empty strings and lists.
const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(0, 1, 2, -1, 1.5, -0, 1e21, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 2),
  fc.integer({ min: -5, max: 100_000 }),
  fc.double({ noNaN: true }),
  fc.constantFrom('', 'x', 'user', '5', 'true'),
  fc.string({ maxLength: 8 }),
);
const anyJson = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('type', 'role', 'a', 'constructor'), tie('value'), { maxKeys: 3, noNullPrototype: true })),
})).value;
/** A field that may be absent, a right value, or anything. */
const field = <T>(right: fc.Arbitrary<T>) => fc.option(fc.oneof(right, scalar, anyJson), { nil: undefined });
const part = fc.oneof(fc.record({ type: fc.oneof(fc.constantFrom('text', 'image_url'), scalar) }, { requiredKeys: [], noNullPrototype: true }), scalar, fc.array(scalar, { maxLength: 2 }));
const message = fc.oneof(
  fc.record(
    {
      role: fc.oneof(fc.constantFrom(...CHAT_ROLES), fc.string({ maxLength: 4 }), scalar),
      content: fc.oneof(fc.string({ maxLength: 5 }), fc.constant(null), fc.array(part, { maxLength: 3 }), scalar),
      name: fc.oneof(fc.string({ maxLength: 4 }), scalar),
      constructor: scalar,
    },
    { requiredKeys: [], noNullPrototype: true },
  ),
  scalar,
  fc.array(fc.oneof(fc.dictionary(fc.string({ maxLength: 2 }), scalar, { maxKeys: 2, noNullPrototype: true }), scalar, fc.array(fc.oneof(fc.constant({}), scalar), { maxLength: 2 })), { maxLength: 3 }),
);
const tokens = fc.array(fc.oneof(fc.nat(50_000), scalar), { maxLength: 3 });
const sampling = {
  model: field(fc.string({ maxLength: 6 })),
  max_tokens: field(fc.integer({ min: -2, max: 5000 })),
  stream: field(fc.boolean()),
  stream_options: field(fc.record({ include_usage: fc.oneof(fc.boolean(), scalar) }, { requiredKeys: [], noNullPrototype: true })),
  temperature: field(fc.double()),
  constructor: fc.option(scalar, { nil: undefined }),
};
const withoutUndefined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const chatBody = fc.record({ ...sampling, messages: field(fc.array(message, { minLength: 0, maxLength: 4 })), max_completion_tokens: field(fc.integer({ min: -2, max: 10 })) }).map(withoutUndefined);
const completionBody = fc
  .record({ ...sampling, prompt: field(fc.oneof(fc.string({ maxLength: 4 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }), tokens, fc.array(tokens, { maxLength: 3 }))) })
  .map(withoutUndefined);

const pipe = new OpenAIValidationPipe();
const meta = (metatype: new () => object): ArgumentMetadata => ({ type: 'body', metatype, data: undefined });

describe.each([
  ['chat completions', ChatCompletionRequestDto, chatBody],
  ['completions', CompletionRequestDto, completionBody],
] as const)('the compiled schema of %s against its DTO (property-based)', (_name, dto, bodies) => {
  const schema = bodyValidatorFor(dto)!;

  it('accepts exactly the bodies the DTO accepts', () => {
    fc.assert(
      fc.property(bodies, (body) => {
        let dtoAccepts = true;
        try {
          checkWithDto(dto, body);
        } catch {
          dtoAccepts = false;
        }
        expect(schema(body)).toBe(dtoAccepts);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives every body the same outcome through the pipe as through the DTO alone: passed on unchanged, or the same 400', () => {
    fc.assert(
      fc.property(bodies, (body) => {
        const viaPipe = outcome(body, () => pipe.transform(body, meta(dto)));
        const viaDto = outcome(body, () => checkWithDto(dto, body));
        expect(viaPipe).toEqual(viaDto);
        if (viaPipe.passed) expect(viaPipe.unchanged).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the compiled schemas on the edges a generator may rarely reach', () => {
  const chat = bodyValidatorFor(ChatCompletionRequestDto)!;
  const completion = bodyValidatorFor(CompletionRequestDto)!;
  const dtoAccepts = (dto: new () => object, body: Record<string, unknown>) => {
    try {
      checkWithDto(dto, body);
      return true;
    } catch {
      return false;
    }
  };
  it.each([
    ['10000 messages (the most allowed)', { messages: Array.from({ length: 10_000 }, () => ({ role: 'user', content: 'x' })) }],
    ['10001 messages', { messages: Array.from({ length: 10_001 }, () => ({ role: 'user', content: 'x' })) }],
    ['a list inside the list of messages', { messages: [[{ anything: 1 }], [[]]] }],
    ['null inside a list inside the list', { messages: [[null]] }],
    ['max_tokens of 1e400 (Infinity once parsed)', { messages: [{ role: 'user' }], max_tokens: JSON.parse('1e400') as number }],
    ['a "constructor" key', { constructor: 1, messages: 'x' }],
  ])('chat: %s', (_label, body) => {
    expect(chat(body)).toBe(dtoAccepts(ChatCompletionRequestDto, body));
  });
  it.each([
    ['an empty string', { prompt: '' }],
    ['a list of empty strings', { prompt: ['', ''] }],
    ['an empty list of token lists', { prompt: [[]] }],
    ['a negative token id', { prompt: [1, -1] }],
    ['mixed strings and ids', { prompt: ['a', 1] }],
    ['null', { prompt: null }],
  ])('completions: %s', (_label, body) => {
    expect(completion(body)).toBe(dtoAccepts(CompletionRequestDto, body));
  });

  it('answers a 400, never a crash, for a malformed body holding a "constructor": null where class-validator walks', () => {
    const body = { messages: [[{ constructor: null }]], max_tokens: 0 };
    expect(() => pipe.transform(body, meta(ChatCompletionRequestDto))).toThrow(expect.objectContaining({ status: 400, param: 'max_tokens' }) as Error);
  });
});
