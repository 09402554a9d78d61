import { planChoice } from '../simulator/text-generator';
import { fluency } from './fluency-heuristic';
import { tokenizerFor } from '../simulator/tokenizer';

/** Mixtral-8x7B's tokenizer: the simulator's words are cut into its pieces, as its chat handler does. */
const mixtral = tokenizerFor({ servedName: 'mistralai/Mixtral-8x7B-Instruct-v0.1', id: 'mixtral-8x7b' });

describe('fluency heuristic', () => {
  it('passes ordinary English: prose, questions, lists and headings, verse', () => {
    const prose =
      'Machine learning is a way of teaching computers to learn from examples. Can it make mistakes? ' +
      'It can, and the same is true of people. We gave an hour to an LLM, a user and a unit test; their own results were close.';
    expect(fluency(prose)).toMatchObject({ share: 1, flaggedSentences: 0 });
    expect(fluency('## Plan\n\n- Market: small grocers\n- Team: two founders.\n1. **Revenue**: monthly subscriptions per store.\n\nWe will sell subscriptions.').share).toBe(1);
    expect(fluency('Tomorrow wakes in circuits bright,\na patient mind of borrowed light;\nit learns our words.').share).toBe(1);
    expect(fluency('')).toMatchObject({ share: 1, words: 0 });
  });

  it('flags sentences that break a function-word rule, one case per rule', () => {
    const broken: [string, RegExp][] = [
      ['The model of the is fast.', /determiner then AUX/],
      ['We saw its good.', /unfinished noun phrase|determiner then/],
      ['She ate an banana today.', /article/],
      ['Cats and or dogs sleep here.', /conjunction then or/],
      ['Dogs sleep here , , today.', /comma then/],
      ['The the dog sleeps.', /repeated word|determiner then/],
      ['They talked at we today.', /subject pronoun/],
      ['Dogs sit at and wait.', /preposition then conjunction/],
      ['We you went home.', /two pronouns/],
      ['We is happy today.', /agreement/],
      ['They want to can swim.', /"to" then auxiliary/],
      ['Dogs can the ball chase.', /modal then DET/],
      ['This be the plan.', /bare "be"/],
      ['Has the dog eaten today.', /no question/],
      ['Red green blue tall wide.', /no verb/],
      ['This your page is.', /determiner then possessive|unfinished/],
    ];
    for (const [text, rule] of broken) {
      const f = fluency(text);
      expect({ text, share: f.share }).toEqual({ text, share: 0 });
      expect(f.examples[0]).toMatch(rule);
    }
  });

  it('gives the simulator\'s random words a low share: a word sequence without grammar fails', () => {
    const shares: number[] = [];
    for (let seed = 1; seed <= 100; seed++) {
      const text = planChoice({ maxTokens: 256, minTokens: 0, ignoreEos: false, stop: [], seed, mode: 'random', echoSource: '', leadingSpace: false, tokenPieces: (t: string) => mixtral.pieces(t), eosText: '</s>' }, 0).text;
      const f = fluency(text);
      if (f.words >= 40) shares.push(f.share);
    }
    expect(shares.length).toBeGreaterThan(20);
    expect(shares.reduce((a, b) => a + b, 0) / shares.length).toBeLessThan(0.5);
    // Headline-like runs of nouns slip through now and then; nine in ten texts stay under 0.7.
    shares.sort((a, b) => a - b);
    expect(shares[Math.floor(shares.length * 0.9)]).toBeLessThan(0.7);
  });
});
