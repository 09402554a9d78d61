import { assertJsonWithinLimits, JsonLimits } from './json-limits';

const limits: JsonLimits = { maxDepth: 4, maxNodes: 10 };
const check = (text: string, l: JsonLimits = limits) => () => assertJsonWithinLimits(Buffer.from(text), l);
const code = (text: string, l: JsonLimits = limits): string | undefined => {
  try {
    assertJsonWithinLimits(Buffer.from(text), l);
    return undefined;
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('assertJsonWithinLimits (raw-byte scan before parsing)', () => {
  it('accepts a body at the depth limit and refuses one level more', () => {
    expect(check('[[[[1]]]]')).not.toThrow();
    expect(code('[[[[[1]]]]]')).toBe('body_too_deep');
    expect(code('{"a":{"b":{"c":{"d":{"e":1}}}}}')).toBe('body_too_deep');
  });

  it('counts values as 1 + containers + commas, exact without empty containers', () => {
    const values = (text: string) => {
      // The smallest maxNodes that passes is the count.
      for (let n = 1; n < 100; n++) if (code(text, { maxDepth: 100, maxNodes: n }) === undefined) return n;
      return -1;
    };
    expect(values('1')).toBe(1);
    expect(values('[1,2,3]')).toBe(4);
    expect(values('{"a":1,"b":[true,null]}')).toBe(5);
    expect(values('[]')).toBe(2); // one more for an empty container: a bound, never less
  });

  it('ignores brackets, braces, commas and escaped quotes inside strings', () => {
    expect(check('{"content":"[[[[[[[[,,,,,,,,,,,,{{{{{{"}')).not.toThrow();
    expect(check('{"content":"a \\" [[[[[[[[[[ \\\\"}')).not.toThrow();
    expect(code('{"content":"\\\\",  "x":[[[[[1]]]]]}')).toBe('body_too_deep');
  });

  it('refuses 2,000,000 nested brackets without parsing them', () => {
    const deep = Buffer.from('['.repeat(2_000_000) + ']'.repeat(2_000_000));
    expect(() => assertJsonWithinLimits(deep, { maxDepth: 32, maxNodes: 200_000 })).toThrow(/nested deeper than 32/);
  });
});
