import { SimulatorError, pyRepr } from './errors';
import { checkSampling, parseChatRequest, parseCompletionRequest, parseJsonObject } from './request-parser';

function thrown(fn: () => unknown): SimulatorError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SimulatorError) return err;
    throw err;
  }
  throw new Error('expected an SimulatorError');
}

describe('request parsing', () => {
  it('accepts what vLLM accepts, ignoring unknown fields', () => {
    const r = parseChatRequest({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
        { role: 'assistant', content: null },
      ],
      max_completion_tokens: 5,
      temperature: '0.5',
      stop: 'x',
      stream: true,
      stream_options: { include_usage: true },
      tools: [],
      something_new: 1,
    });
    expect(r.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'a\nb' },
      { role: 'assistant', content: '' },
    ]);
    expect(r).toMatchObject({ maxTokens: 5, temperature: 0.5, stop: ['x'], stream: true, includeUsage: true });
  });

  it('defaults completions max_tokens to 16 (explicit null means unset) and accepts every prompt form', () => {
    expect(parseCompletionRequest({ prompt: 'x' }).maxTokens).toBe(16);
    expect(parseCompletionRequest({ prompt: 'x', max_tokens: null }).maxTokens).toBeNull();
    expect(parseCompletionRequest({ prompt: ['a', 'b'] }).prompts).toHaveLength(2);
    expect(parseCompletionRequest({ prompt: [1, 2, 3] }).prompts).toEqual([{ text: null, tokenIds: [1, 2, 3] }]);
    expect(parseCompletionRequest({ prompt: [[1], [2, 3]] }).prompts).toHaveLength(2);
  });

  it('reports shape problems as FastAPI validation errors', () => {
    const e = thrown(() => parseChatRequest({ messages: 'hi', n: 'two' }));
    expect(e.status).toBe(400);
    expect(e.type).toBe('Bad Request');
    expect(e.message).toContain("'loc': ('body', 'n')");
    expect(e.message).toContain("'loc': ('body', 'messages')");
    expect(thrown(() => parseCompletionRequest({})).message).toContain('Either prompt or prompt_embeds');
    expect(thrown(() => parseCompletionRequest({ prompt: 'x', stream_options: { include_usage: true } })).message).toContain(
      'Stream options can only be defined when `stream=True`.',
    );
    expect(thrown(() => parseJsonObject(Buffer.from('{"a":'))).message).toContain("'type': 'json_invalid'");
    expect(thrown(() => parseJsonObject(Buffer.from('[1]'))).message).toContain('model_attributes_type');
  });

  it("reports bad sampling values with vLLM's messages", () => {
    const base = parseChatRequest({ messages: [] });
    const msg = (over: object, max = 10) => thrown(() => checkSampling({ ...base, ...over }, max)).message;
    expect(msg({ temperature: -1 })).toBe('temperature must be non-negative, got -1.0.');
    expect(msg({ n: 0 })).toBe('n must be at least 1, got 0.');
    expect(msg({ topP: 0 })).toBe('top_p must be in (0, 1], got 0.0.');
    expect(msg({ topK: -2 })).toBe('top_k must be 0 (disable), or at least 1, got -2.');
    expect(msg({}, 0)).toBe('max_tokens must be at least 1, got 0.');
    expect(msg({ minTokens: 11 })).toBe('min_tokens must be less than or equal to max_tokens=10, got 11.');
    expect(() => checkSampling({ ...base, temperature: 0, topK: -1 }, 10)).not.toThrow();
  });

  it('logprobs as protocol.py checks them: top_logprobs > 0 needs logprobs true, 0 does not; negatives are the validators\' errors; max_logprobs 20', () => {
    expect(parseChatRequest({ messages: [], top_logprobs: 0 }).logprobs).toBeNull();
    expect(parseChatRequest({ messages: [], logprobs: true }).logprobs).toBe(0);
    expect(parseChatRequest({ messages: [], logprobs: true, top_logprobs: 5 }).logprobs).toBe(5);
    expect(thrown(() => parseChatRequest({ messages: [], top_logprobs: 2 })).message).toContain('when using `top_logprobs`, `logprobs` must be set to true.');
    expect(thrown(() => parseChatRequest({ messages: [], logprobs: true, top_logprobs: -2 })).message).toContain('`top_logprobs` must be a positive value.');
    expect(thrown(() => parseCompletionRequest({ prompt: 'x', logprobs: -1 })).message).toContain('`logprobs` must be a positive value.');
    const base = parseCompletionRequest({ prompt: 'x', logprobs: 21 });
    expect(thrown(() => checkSampling(base, 10)).message).toBe('Requested sample logprobs of 21, which is greater than max allowed: 20');
    expect(() => checkSampling({ ...base, logprobs: 20 }, 10)).not.toThrow();
    expect(thrown(() => checkSampling({ ...base, logprobs: 6 }, 10, 5)).message).toBe('Requested sample logprobs of 6, which is greater than max allowed: 5');
  });

  it('prints values the way Python does', () => {
    expect(pyRepr({ a: [1, 'x', null, true], "it's": false })).toBe(`{'a': [1, 'x', None, True], "it's": False}`);
  });
});
