import fc from 'fast-check';
import { GenerationParams, planChoice } from './text-generator';
import { tokenizerFor } from './tokenizer';
import { FAMILIES } from './tokenizers/families';

const mistral = tokenizerFor({ servedName: 'mistralai/Mixtral-8x7B-Instruct-v0.1', id: 'mixtral-8x7b' });

const base: GenerationParams = {
  maxTokens: 64,
  minTokens: 0,
  ignoreEos: false,
  stop: [],
  seed: 42,
  mode: 'random',
  echoSource: '',
  leadingSpace: false,
  tokenPieces: (text) => mistral.pieces(text),
  eosText: '</s>',
};

describe('planChoice', () => {
  it('is deterministic for a seed and choice index, and differs across them', () => {
    const a = planChoice(base, 0);
    expect(planChoice(base, 0)).toEqual(a);
    expect(planChoice(base, 1).text).not.toBe(a.text);
    expect(planChoice({ ...base, seed: 43 }, 0).text).not.toBe(a.text);
  });

  it('honours max_tokens with finish_reason length', () => {
    const p = planChoice({ ...base, maxTokens: 10, ignoreEos: true }, 0);
    expect(p.deltas).toHaveLength(10);
    expect(p.finishReason).toBe('length');
    expect(p.stopReason).toBeNull();
    expect(p.deltas.join('')).toBe(p.text);
  });

  it('ends naturally with an EOS token (no text, counted) when not ignoring EOS', () => {
    const p = planChoice({ ...base, maxTokens: 2000 }, 0);
    expect(p.finishReason).toBe('stop');
    expect(p.deltas.length).toBeLessThan(2000);
    expect(p.deltas[p.deltas.length - 1]).toBe('');
    // Vocabulary words are one token each in both vocabularies, so the steps are the model's count.
    for (const family of [FAMILIES.mixtral, FAMILIES.phi3]) {
      const t = tokenizerFor({ servedName: '', id: '', tokenizer: family.name as 'mixtral' | 'phi3' });
      expect(t.count(p.text, false)).toBe(p.deltas.length - 1);
    }
  });

  it('never ends before min_tokens', () => {
    for (let seed = 0; seed < 20; seed++) {
      const p = planChoice({ ...base, seed, maxTokens: 400, minTokens: 50 }, 0);
      expect(p.deltas.length).toBeGreaterThanOrEqual(50);
    }
  });

  it('cuts the text before a stop string and reports it', () => {
    const full = planChoice({ ...base, maxTokens: 40, ignoreEos: true }, 0);
    const words = full.text.split(' ');
    const stop = ' ' + words[5];
    const cut = planChoice({ ...base, maxTokens: 40, ignoreEos: true, stop: [stop] }, 0);
    expect(cut.finishReason).toBe('stop');
    expect(cut.stopReason).toBe(stop);
    expect(cut.text).toBe(full.text.slice(0, full.text.indexOf(stop)));
    expect(cut.deltas.join('')).toBe(cut.text);
  });

  it('echo mode repeats the prompt, then ends', () => {
    const p = planChoice({ ...base, mode: 'echo', echoSource: 'Repeat after me, please.' }, 0);
    expect(p.text).toBe('Repeat after me, please.');
    expect(p.finishReason).toBe('stop');
    const withSpace = planChoice({ ...base, mode: 'echo', echoSource: 'hi there', leadingSpace: true }, 0);
    expect(withSpace.text).toBe(' hi there');
    const longer = planChoice({ ...base, mode: 'echo', echoSource: 'ab', ignoreEos: true, maxTokens: 3 }, 0);
    expect(longer.text).toBe('ababab');
    expect(longer.finishReason).toBe('length');
  });

  it('keeps its invariants for any parameters', () => {
    fc.assert(
      fc.property(
        fc.record({
          maxTokens: fc.integer({ min: 1, max: 120 }),
          minTokens: fc.integer({ min: 0, max: 20 }),
          ignoreEos: fc.boolean(),
          stop: fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
          seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
          mode: fc.constantFrom<'random' | 'echo'>('random', 'echo'),
          echoSource: fc.string({ maxLength: 40 }),
          leadingSpace: fc.boolean(),
          tokenPieces: fc.constant((text: string) => mistral.pieces(text)),
          eosText: fc.constant('</s>'),
        }),
        fc.nat(4),
        (params, index) => {
          fc.pre(params.minTokens <= params.maxTokens);
          const p = planChoice(params, index);
          expect(p.deltas.length).toBeGreaterThanOrEqual(1);
          expect(p.deltas.length).toBeLessThanOrEqual(params.maxTokens);
          expect(p.deltas.join('')).toBe(p.text);
          if (p.finishReason === 'length') expect(p.deltas.length).toBe(params.maxTokens);
          if (p.stopReason !== null) expect(params.stop).toContain(p.stopReason);
          // Stop strings are looked for from the first token on when min_tokens is 0.
          if (params.minTokens === 0) {
            for (const s of params.stop) if (s.length > 0) expect(p.text.includes(s)).toBe(false);
          }
        },
      ),
    );
  });
});
