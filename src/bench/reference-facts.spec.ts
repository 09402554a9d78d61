import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allPrompts, loadPrompts } from './prompts';
import { checkFacts, factSaid, loadReferences, ReferenceFact } from './reference-facts';

const fact = (f: Partial<ReferenceFact>): ReferenceFact => ({ id: 'x', says: 'x', source: 'test', ...f });

describe('reference facts', () => {
  it('covers every seed test prompt, each fact with its source', () => {
    const references = loadReferences();
    for (const prompt of allPrompts(loadPrompts())) {
      const entry = references.get(prompt);
      expect(entry?.facts.length).toBeGreaterThan(0);
      for (const f of entry!.facts) expect(f.source.length).toBeGreaterThan(0);
    }
  });

  it('says a fact when one sentence or line holds an alternative of every group, as whole words', () => {
    const learns = fact({ all: [['learn\\w*'], ['data', 'examples?']] });
    expect(factSaid(learns, 'A model learns patterns from data.')).toBe(true);
    expect(factSaid(learns, 'It LEARNS from Examples')).toBe(true);
    // Same sentence or line only; whole words only.
    expect(factSaid(learns, 'A model learns. It reads data.')).toBe(false);
    expect(factSaid(learns, 'A model learns\nfrom data')).toBe(false);
    expect(factSaid(learns, 'It learns from database rows.')).toBe(false);
    expect(factSaid(fact({ all: [['4', 'four']] }), '2 + 2 = 4.')).toBe(true);
    expect(factSaid(fact({ all: [['4', 'four']] }), 'It is 40.')).toBe(false);
  });

  it('checks line and sentence counts', () => {
    expect(factSaid(fact({ min_lines: 3 }), 'one\ntwo\n\nthree')).toBe(true);
    expect(factSaid(fact({ min_lines: 3 }), 'one two three.')).toBe(false);
    expect(factSaid(fact({ min_sentences: 2 }), 'One. Two.')).toBe(true);
    expect(checkFacts('One.', [fact({ id: 'a', min_sentences: 1 }), fact({ id: 'b', min_sentences: 2 })])).toEqual({ said: ['a'], missing: ['b'] });
  });

  it('refuses a file with a fact that cannot be checked or has no source, naming each problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'citadel-references-'));
    try {
      const file = join(dir, 'refs.json');
      writeFileSync(
        file,
        JSON.stringify({
          $comment: 'ignored',
          reasoning: {
            simple: { prompt: 'What is 2 + 2?', facts: [{ id: 'sum', says: '4', all: [['(']] }, { id: 'sum', says: 'x', source: 's' }] },
            medium: { prompt: '', facts: [] },
          },
        }),
      );
      expect(() => loadReferences(file)).toThrow(
        /reasoning\.simple\.facts\[0\]\.source: must say where the fact comes from; reasoning\.simple\.facts\[0\]\.all: Invalid regular expression.*reasoning\.simple\.facts\[1\]\.id: "sum" repeats.*reasoning\.simple\.facts\[1\]: needs "all", "min_lines" or "min_sentences"; reasoning\.medium\.prompt: must be a non-empty string; reasoning\.medium\.facts: must be a non-empty list/,
      );
      expect(() => loadReferences(join(dir, 'missing.json'))).toThrow(/cannot read the reference facts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
