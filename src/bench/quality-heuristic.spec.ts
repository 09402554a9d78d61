import { distinctNgramRatio, novelShare, scoreAnswer, words } from './quality-heuristic';
import { PromptReference } from './reference-facts';

const PROMPT = 'Compose a poem about the future of artificial intelligence.';
const REFERENCE: PromptReference = {
  key: 'generation.creative',
  prompt: PROMPT,
  facts: [
    { id: 'verse', says: 'in verse', min_lines: 4, source: 'test' },
    { id: 'ai', says: 'about AI', all: [['ai', 'artificial', 'minds?']], source: 'test' },
    { id: 'future', says: 'about the future', all: [['future', 'tomorrow']], source: 'test' },
  ],
};

function chat(content: unknown, finish: string | null = 'stop', completionTokens?: number) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finish }],
    ...(completionTokens !== undefined ? { usage: { prompt_tokens: 12, completion_tokens: completionTokens, total_tokens: 12 + completionTokens } } : {}),
  };
}

const GOOD_POEM = [
  'In circuits bright the future wakes,',
  'artificial minds learn what it takes;',
  'intelligence grown from silicon seed,',
  'to help us think, to serve our need.',
  'A poem of hope for the days ahead,',
  'where careful hands keep wisdom fed.',
].join('\n');

const score = (body: unknown, maxTokens = 256) => scoreAnswer(body, PROMPT, maxTokens, REFERENCE);

describe('quality heuristic', () => {
  it('gives a hand-made good answer full marks', () => {
    const q = score(chat(GOOD_POEM, 'stop', 60));
    expect(q.components).toEqual({ structure: 1, length: 1, repetition: 1, fluency: 1, novelty: 1, coverage: 1 });
    expect(q.score).toBe(1);
    expect(q.notes).toEqual([]);
    expect(q.details).toMatchObject({ tokenSource: 'usage', reference: 'generation.creative', factsSaid: ['verse', 'ai', 'future'], factsMissing: [] });
  });

  it('scores 0 without content: no choices, no message, empty or non-string content, not JSON', () => {
    expect(score({ choices: [] }).score).toBe(0);
    expect(score({ choices: [{ index: 0 }] }).score).toBe(0);
    expect(score(chat('')).score).toBe(0);
    expect(score(chat('   ')).notes).toEqual(['the content is empty']);
    expect(score(chat(null)).score).toBe(0);
    expect(score(undefined).score).toBe(0);
    expect(score({ error: { message: 'boom' } }).notes).toEqual(['no choices']);
  });

  it('never grants coverage without reference facts: a prompt without any scores 0, saying why', () => {
    const q = scoreAnswer(chat(GOOD_POEM, 'stop', 60), PROMPT, 256, undefined);
    expect(q.components.coverage).toBe(0);
    expect(q.score).toBe(0);
    expect(q.notes).toContain('no reference facts for this prompt: coverage cannot be measured');
  });

  it('measures coverage against the reference facts and names the missing ones', () => {
    const q = score(chat('The future of artificial minds is bright, and we will see it soon.', 'stop', 16));
    expect(q.components.coverage).toBeCloseTo(2 / 3, 12);
    expect(q.details.factsMissing).toEqual(['verse']);
    expect(q.notes).toContain('says 2 of 3 reference facts of generation.creative; missing: verse');
    expect(q.score).toBeCloseTo(Math.sqrt(2 / 3), 12);
  });

  it('marks down a loop that repeats itself', () => {
    const loop = Array.from({ length: 30 }, () => 'the future of artificial intelligence').join(' ');
    const q = score(chat(loop, 'length', 150), 150);
    expect(q.components.repetition).toBeLessThan(0.1);
    expect(q.components.structure).toBe(0.6);
    expect(q.score).toBeLessThan(0.5);
    expect(q.notes.some((n) => n.startsWith('repetitive'))).toBe(true);
  });

  it('marks down word salad (the simulator\'s random words), naming the heuristic', () => {
    const salad = 'Sand port map rule, the of data node core. Fire ice a a gold blue over back down. Seed rain wind snow and or near far here.';
    const q = score(chat(salad, 'stop', 25));
    expect(q.components.fluency).toBe(0);
    expect(q.components.coverage).toBe(0);
    expect(q.score).toBe(0);
    expect(q.notes.find((n) => n.startsWith('not fluent (heuristic)'))).toMatch(/0% of words in sentences that read as English/);
  });

  it('marks down an echo of the prompt', () => {
    const q = score(chat(PROMPT, 'stop', 10));
    expect(q.components.novelty).toBe(0);
    expect(q.score).toBe(0);
    expect(novelShare(words('a b c d'), words('a b c'), 3)).toBe(0.5);
    expect(novelShare(words('a'), words('a b c'), 3)).toBe(1);
  });

  it('gives no length credit to an answer over max_tokens, and a share to a very short one', () => {
    expect(score(chat(GOOD_POEM, 'stop', 300)).components.length).toBe(0);
    // Without usage: about 4 characters a token.
    const estimated = score(chat(GOOD_POEM, 'stop'), 10);
    expect(estimated.details.tokenSource).toBe('estimate');
    expect(estimated.details.completionTokens).toBe(Math.ceil(GOOD_POEM.length / 4));
    expect(estimated.components.length).toBe(0);
    expect(score(chat('Tomorrow minds dream.', 'stop', 3)).components.length).toBeCloseTo(3 / 5, 12);
  });

  it('takes partial structure credit for a cut or unknown finish_reason: a cut answer cannot reach 0.8', () => {
    const cut = score(chat(GOOD_POEM, 'length', 60));
    expect(cut.components.structure).toBe(0.6);
    expect(cut.score).toBeLessThan(0.8);
    expect(score(chat(GOOD_POEM, null, 60)).components.structure).toBe(0.5);
  });

  it('reads completions (`text`) as well as chat (`message.content`)', () => {
    expect(score({ choices: [{ index: 0, text: GOOD_POEM, finish_reason: 'stop' }] }).score).toBe(1);
  });

  it('counts distinct n-grams', () => {
    expect(distinctNgramRatio(['a', 'b', 'a', 'b', 'a'], 2)).toBe(0.5);
    expect(distinctNgramRatio(['a'], 3)).toBe(1);
  });
});
