import { distinctNgramRatio, promptTerms, scoreAnswer } from './quality-heuristic';

const PROMPT = 'Compose a poem about the future of artificial intelligence.';

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

describe('quality heuristic', () => {
  it('gives a hand-made good answer full marks', () => {
    const q = scoreAnswer(chat(GOOD_POEM, 'stop', 60), PROMPT, 256);
    expect(q.components).toEqual({ structure: 1, length: 1, repetition: 1, coverage: 1 });
    expect(q.score).toBe(1);
    expect(q.notes).toEqual([]);
    expect(q.details.tokenSource).toBe('usage');
    expect(q.details.coveredTerms).toEqual(['poem', 'future', 'artificial', 'intelligence']);
  });

  it('scores 0 without content: no choices, no message, empty or non-string content, not JSON', () => {
    expect(scoreAnswer({ choices: [] }, PROMPT, 256).score).toBe(0);
    expect(scoreAnswer({ choices: [{ index: 0 }] }, PROMPT, 256).score).toBe(0);
    expect(scoreAnswer(chat(''), PROMPT, 256).score).toBe(0);
    expect(scoreAnswer(chat('   '), PROMPT, 256).notes).toEqual(['the content is empty']);
    expect(scoreAnswer(chat(null), PROMPT, 256).score).toBe(0);
    expect(scoreAnswer(undefined, PROMPT, 256).score).toBe(0);
    expect(scoreAnswer({ error: { message: 'boom' } }, PROMPT, 256).notes).toEqual(['no choices']);
  });

  it('marks down a loop that repeats itself', () => {
    const loop = Array.from({ length: 30 }, () => 'the future of artificial intelligence').join(' ');
    const q = scoreAnswer(chat(loop, 'length', 150), PROMPT, 150);
    expect(q.components.repetition).toBeLessThan(0.1);
    expect(q.components.structure).toBe(0.75);
    expect(q.score).toBeLessThan(0.8);
    expect(q.notes.some((n) => n.startsWith('repetitive'))).toBe(true);
  });

  it('marks down an off-topic answer (the simulator\'s random words)', () => {
    const offTopic = 'Sand port map rule, the data node core. Fire ice gold blue over back down. Seed rain wind snow near far here.';
    const q = scoreAnswer(chat(offTopic, 'stop', 25), PROMPT, 256);
    expect(q.components.coverage).toBe(0);
    expect(q.score).toBe(0.75);
    expect(q.score).toBeLessThan(0.8);
  });

  it('gives no length credit to an answer over max_tokens, and a share to a very short one', () => {
    expect(scoreAnswer(chat(GOOD_POEM, 'stop', 300), PROMPT, 256).components.length).toBe(0);
    // Without usage: about 4 characters a token.
    const estimated = scoreAnswer(chat(GOOD_POEM, 'stop'), PROMPT, 10);
    expect(estimated.details.tokenSource).toBe('estimate');
    expect(estimated.details.completionTokens).toBe(Math.ceil(GOOD_POEM.length / 4));
    expect(estimated.components.length).toBe(0);
    expect(scoreAnswer(chat('Future poem.', 'stop', 3), PROMPT, 256).components.length).toBeCloseTo(2 / 5, 12);
  });

  it('takes partial structure credit for a cut or unknown finish_reason', () => {
    expect(scoreAnswer(chat(GOOD_POEM, 'length', 60), PROMPT, 256).components.structure).toBe(0.75);
    expect(scoreAnswer(chat(GOOD_POEM, null, 60), PROMPT, 256).components.structure).toBe(0.5);
  });

  it('reads completions (`text`) as well as chat (`message.content`)', () => {
    const q = scoreAnswer({ choices: [{ index: 0, text: GOOD_POEM, finish_reason: 'stop' }] }, PROMPT, 256);
    expect(q.score).toBe(1);
  });

  it('picks content terms from the prompt and counts distinct n-grams', () => {
    expect(promptTerms('Analyze the implications of artificial intelligence on society, considering economic, social, and ethical dimensions.')).toEqual([
      'implications',
      'artificial',
      'intelligence',
      'society',
      'economic',
      'social',
      'ethical',
      'dimensions',
    ]);
    expect(promptTerms('What is 2 + 2?')).toEqual([]);
    expect(distinctNgramRatio(['a', 'b', 'a', 'b', 'a'], 2)).toBe(0.5);
    expect(distinctNgramRatio(['a'], 3)).toBe(1);
  });
});
