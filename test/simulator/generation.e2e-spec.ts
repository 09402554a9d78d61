/** /v1/completions and /v1/chat/completions: shapes, streaming, n, stop, determinism, echo, errors. */
import { libraryChatCount, libraryPromptCount } from './library-counts';
import type { RunningSimulator } from '../../src/simulator/types';
import { chatBody, post, SERVED, sseChunks, startTestSimulator, testModel } from './helpers';

describe('generation', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator();
  });
  afterAll(() => sim.close());

  describe('response shapes', () => {
    it('completions: text_completion with usage', async () => {
      const r = await post(sim.url, '/v1/completions', { model: SERVED, prompt: 'Once upon a time', max_tokens: 12, ignore_eos: true });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/json');
      const b = r.json;
      expect(b.id).toMatch(/^cmpl-[0-9a-f]{32}$/);
      expect(b).toMatchObject({ object: 'text_completion', model: SERVED });
      expect(typeof b.created).toBe('number');
      expect(b.choices).toHaveLength(1);
      expect(b.choices[0]).toMatchObject({ index: 0, logprobs: null, finish_reason: 'length', stop_reason: null });
      expect(typeof b.choices[0].text).toBe('string');
      expect(b.choices[0].text.length).toBeGreaterThan(0);
      expect(b.usage).toMatchObject({
        prompt_tokens: libraryPromptCount('default', 'Once upon a time'),
        completion_tokens: 12,
        total_tokens: libraryPromptCount('default', 'Once upon a time') + 12,
      });
    });

    it('chat: chat.completion with an assistant message', async () => {
      const r = await post(sim.url, '/v1/chat/completions', chatBody('Hi!', { max_tokens: 5, ignore_eos: true }));
      expect(r.status).toBe(200);
      const b = r.json;
      expect(b.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
      expect(b).toMatchObject({ object: 'chat.completion', model: SERVED });
      expect(b.choices[0]).toMatchObject({ index: 0, logprobs: null, finish_reason: 'length' });
      expect(b.choices[0].message.role).toBe('assistant');
      expect(typeof b.choices[0].message.content).toBe('string');
      expect(b.usage).toMatchObject({
        prompt_tokens: libraryChatCount('default', [{ role: 'user', content: 'Hi!' }]),
        completion_tokens: 5,
      });
      expect(b.usage.total_tokens).toBe(b.usage.prompt_tokens + 5);
    });

    it('an absent model means the first model; X-Request-Id becomes the id', async () => {
      const r = await post(
        sim.url,
        '/v1/chat/completions',
        { messages: [{ role: 'user', content: 'x' }], max_tokens: 1 },
        { 'x-request-id': 'abc-123' },
      );
      expect(r.status).toBe(200);
      expect(r.json.model).toBe(SERVED);
      expect(r.json.id).toBe('chatcmpl-abc-123');
    });

    it('accepts content parts, extra fields and all prompt forms', async () => {
      const parts = await post(sim.url, '/v1/chat/completions', {
        messages: [{ role: 'user', content: [{ type: 'text', text: 'part one' }] }],
        max_completion_tokens: 2,
        tools: [],
        response_format: { type: 'text' },
        user: 'u1',
        top_k: 40,
        top_p: 0.9,
        temperature: 0.7,
      });
      expect(parts.status).toBe(200);
      expect(parts.json.usage.completion_tokens).toBeLessThanOrEqual(2);

      const list = await post(sim.url, '/v1/completions', { prompt: ['one', 'two three'], n: 2, max_tokens: 3, ignore_eos: true });
      expect(list.status).toBe(200);
      expect(list.json.choices.map((c: { index: number }) => c.index)).toEqual([0, 1, 2, 3]);
      expect(list.json.usage.prompt_tokens).toBe(libraryPromptCount('default', 'one') + libraryPromptCount('default', 'two three'));
      expect(list.json.usage.completion_tokens).toBe(12);

      const ids = await post(sim.url, '/v1/completions', { prompt: [5, 6, 7, 8], max_tokens: 2, ignore_eos: true });
      expect(ids.status).toBe(200);
      expect(ids.json.usage.prompt_tokens).toBe(4);
    });

    it('completions default max_tokens is 16; chat default is max_model_len - prompt', async () => {
      const c = await post(sim.url, '/v1/completions', { prompt: 'x', ignore_eos: true });
      expect(c.json.usage.completion_tokens).toBe(16);
      const small = await startTestSimulator({ models: [testModel({ maxModelLen: 40 })] });
      try {
        const r = await post(small.url, '/v1/chat/completions', chatBody('hello', { ignore_eos: true }));
        expect(r.status).toBe(200);
        expect(r.json.usage.total_tokens).toBe(40);
        expect(r.json.choices[0].finish_reason).toBe('length');
      } finally {
        await small.close();
      }
    });

    it('completions echo=true puts the prompt in front of the text', async () => {
      const r = await post(sim.url, '/v1/completions', { prompt: 'Say:', echo: true, max_tokens: 3, ignore_eos: true });
      expect(r.json.choices[0].text.startsWith('Say:')).toBe(true);
    });
  });

  describe('streaming', () => {
    it('chat without include_usage: role chunk, one chunk per token, finish_reason, [DONE]', async () => {
      const body = chatBody('Stream to me', { max_tokens: 64, ignore_eos: true, seed: 7 });
      const r = await post(sim.url, '/v1/chat/completions', { ...body, stream: true });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/event-stream/);
      const chunks = sseChunks(r.text);
      expect(chunks).toHaveLength(1 + 64);
      const id = chunks[0].id;
      for (const c of chunks) {
        expect(c).toMatchObject({ id, object: 'chat.completion.chunk', model: SERVED });
        expect(c.usage).toBeUndefined();
        expect(c.choices).toHaveLength(1);
      }
      expect(chunks[0].choices[0]).toEqual({
        index: 0,
        delta: { role: 'assistant', content: '' },
        logprobs: null,
        finish_reason: null,
      });
      expect(chunks.slice(1, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
      expect(chunks[chunks.length - 1].choices[0]).toMatchObject({ finish_reason: 'length', stop_reason: null });
      const streamed = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
      const plain = await post(sim.url, '/v1/chat/completions', body);
      expect(streamed).toBe(plain.json.choices[0].message.content);
    });

    it('chat with include_usage ends with a usage chunk with empty choices', async () => {
      const r = await post(
        sim.url,
        '/v1/chat/completions',
        chatBody('usage please', { max_tokens: 4, ignore_eos: true, stream: true, stream_options: { include_usage: true } }),
      );
      const chunks = sseChunks(r.text);
      const last = chunks[chunks.length - 1];
      expect(last.choices).toEqual([]);
      expect(last.usage).toEqual({
        prompt_tokens: libraryChatCount('default', [{ role: 'user', content: 'usage please' }]),
        completion_tokens: 4,
        total_tokens: libraryChatCount('default', [{ role: 'user', content: 'usage please' }]) + 4,
      });
      expect(chunks.slice(0, -1).every((c) => c.usage === undefined)).toBe(true);
    });

    it('continuous_usage_stats puts usage on every chunk', async () => {
      const r = await post(
        sim.url,
        '/v1/chat/completions',
        chatBody('x', { max_tokens: 3, ignore_eos: true, stream: true, stream_options: { include_usage: true, continuous_usage_stats: true } }),
      );
      const chunks = sseChunks(r.text);
      expect(chunks.slice(1, 4).map((c) => c.usage.completion_tokens)).toEqual([1, 2, 3]);
    });

    it('completions stream with n=2: chunks per choice, each choice finishes, usage last', async () => {
      const r = await post(sim.url, '/v1/completions', {
        prompt: 'Two ways',
        n: 2,
        max_tokens: 5,
        ignore_eos: true,
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = sseChunks(r.text);
      const tokenChunks = chunks.slice(0, -1);
      expect(tokenChunks).toHaveLength(10);
      for (const c of tokenChunks) expect(c.object).toBe('text_completion');
      for (const index of [0, 1]) {
        const mine = tokenChunks.filter((c) => c.choices[0].index === index);
        expect(mine).toHaveLength(5);
        expect(mine[4].choices[0].finish_reason).toBe('length');
      }
      expect(chunks[chunks.length - 1].usage.completion_tokens).toBe(10);
    });
  });

  describe('content', () => {
    it('n > 1 gives n deterministically different choices', async () => {
      const body = chatBody('Give me three', { n: 3, max_tokens: 10, ignore_eos: true, seed: 1 });
      const a = await post(sim.url, '/v1/chat/completions', body);
      const texts = a.json.choices.map((c: { message: { content: string } }) => c.message.content);
      expect(a.json.choices.map((c: { index: number }) => c.index)).toEqual([0, 1, 2]);
      expect(new Set(texts).size).toBe(3);
      const b = await post(sim.url, '/v1/chat/completions', body);
      expect(b.json.choices.map((c: { message: { content: string } }) => c.message.content)).toEqual(texts);
      expect(a.json.usage.completion_tokens).toBe(30);
    });

    it('same seed, same text; another seed, another text; no seed: a function of the prompt', async () => {
      const text = async (extra: object, prompt = 'Determinism') =>
        (await post(sim.url, '/v1/completions', { prompt, max_tokens: 20, ignore_eos: true, ...extra })).json.choices[0].text;
      expect(await text({ seed: 5 })).toBe(await text({ seed: 5 }));
      expect(await text({ seed: 5 })).not.toBe(await text({ seed: 6 }));
      expect(await text({})).toBe(await text({}));
      expect(await text({}, 'Other prompt')).not.toBe(await text({}));
    });

    it('stop sequences cut the text before the stop string', async () => {
      const body = chatBody('stop test', { max_tokens: 30, ignore_eos: true, seed: 11 });
      const full = (await post(sim.url, '/v1/chat/completions', body)).json.choices[0].message.content as string;
      const words = full.split(' ');
      const stop = ` ${words[4]}`;
      const cut = (await post(sim.url, '/v1/chat/completions', { ...body, stop: [stop, 'never-appears'] })).json;
      expect(cut.choices[0].finish_reason).toBe('stop');
      expect(cut.choices[0].stop_reason).toBe(stop);
      expect(cut.choices[0].message.content).toBe(full.slice(0, full.indexOf(stop)));

      const streamed = await post(sim.url, '/v1/chat/completions', { ...body, stop, stream: true });
      const chunks = sseChunks(streamed.text);
      expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe(cut.choices[0].message.content);
      expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('stop');
    });

    it('ends naturally (finish_reason stop) when neither max_tokens nor stop triggers', async () => {
      const r = await post(sim.url, '/v1/chat/completions', chatBody('natural', { seed: 3, max_tokens: 1000 }));
      expect(r.json.choices[0].finish_reason).toBe('stop');
      expect(r.json.choices[0].stop_reason).toBeNull();
      expect(r.json.usage.completion_tokens).toBeLessThan(1000);
    });

    it('echo mode repeats the last user message', async () => {
      const echo = await startTestSimulator({ outputMode: 'echo' });
      try {
        const r = await post(echo.url, '/v1/chat/completions', {
          messages: [
            { role: 'system', content: 'ignored' },
            { role: 'user', content: 'Please repeat exactly this.' },
          ],
        });
        expect(r.json.choices[0].message.content).toBe('Please repeat exactly this.');
        expect(r.json.choices[0].finish_reason).toBe('stop');
        const c = await post(echo.url, '/v1/completions', { prompt: 'echo me', max_tokens: 2 });
        expect(c.json.choices[0].text).toBe(' echo me');
      } finally {
        await echo.close();
      }
    });
  });

  describe('errors', () => {
    const expectError = (r: { status: number; json: unknown; headers: Record<string, unknown> }, status: number, type: string) => {
      expect(r.status).toBe(status);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.json).toEqual({ error: { message: expect.any(String), type, param: null, code: status } });
    };

    it("unknown model: vLLM's 404 (only served names are accepted)", async () => {
      const r = await post(sim.url, '/v1/chat/completions', { ...chatBody('x'), model: 'test-model' });
      expect(r.status).toBe(404);
      expect(r.json).toEqual({
        error: { message: 'The model `test-model` does not exist.', type: 'NotFoundError', param: null, code: 404 },
      });
    });

    it('invalid sampling values: 400 BadRequestError', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ temperature: -1 }, 'temperature must be non-negative, got -1.0.'],
        [{ n: 0 }, 'n must be at least 1, got 0.'],
        [{ max_tokens: 0 }, 'max_tokens must be at least 1, got 0.'],
        [{ top_p: 1.5 }, 'top_p must be in (0, 1], got 1.5.'],
      ];
      for (const [extra, message] of cases) {
        const r = await post(sim.url, '/v1/chat/completions', chatBody('x', extra));
        expectError(r, 400, 'BadRequestError');
        expect(r.json.error.message).toBe(message);
      }
      const c = await post(sim.url, '/v1/completions', { prompt: 'x', max_tokens: -3 });
      expect(c.json.error.message).toBe('max_tokens must be at least 1, got -3.');
    });

    it('wrong types, malformed JSON, missing messages or prompt: 400 Bad Request', async () => {
      const wrongType = await post(sim.url, '/v1/chat/completions', chatBody('x', { max_tokens: 'many' }));
      expectError(wrongType, 400, 'Bad Request');
      expect(wrongType.json.error.message).toContain("('body', 'max_tokens')");
      expectError(await post(sim.url, '/v1/chat/completions', '{"messages": ['), 400, 'Bad Request');
      const missing = await post(sim.url, '/v1/chat/completions', { model: SERVED });
      expectError(missing, 400, 'Bad Request');
      expect(missing.json.error.message).toContain("'msg': 'Field required'");
      expectError(await post(sim.url, '/v1/completions', { model: SERVED }), 400, 'Bad Request');
      expectError(await post(sim.url, '/v1/chat/completions', { messages: [{ content: 'no role' }] }), 400, 'Bad Request');
    });

    it('a non-JSON content type: 415', async () => {
      const r = await post(sim.url, '/v1/chat/completions', JSON.stringify(chatBody('x')), { 'content-type': 'text/plain' });
      expectError(r, 415, 'Unsupported Media Type');
    });

    it("context overflow: 400 stating the numbers in vLLM's words", async () => {
      const prompt = 'word '.repeat(100).trim();
      const promptTokens = libraryPromptCount('default', prompt);
      const c = await post(sim.url, '/v1/completions', { prompt, max_tokens: 4090 });
      expectError(c, 400, 'BadRequestError');
      expect(c.json.error.message).toBe(
        `'max_tokens' or 'max_completion_tokens' is too large: 4090. This model's maximum context length is 4096 tokens ` +
          `and your request has ${promptTokens} input tokens (4090 > 4096 - ${promptTokens}).`,
      );

      const messages = [{ role: 'user', content: prompt }];
      const chatTokens = libraryChatCount('default', messages);
      const chat = await post(sim.url, '/v1/chat/completions', { messages, max_completion_tokens: 4000 });
      expect(chat.json.error.message).toBe(
        `'max_tokens' or 'max_completion_tokens' is too large: 4000. This model's maximum context length is 4096 tokens ` +
          `and your request has ${chatTokens} input tokens (4000 > 4096 - ${chatTokens}). None`,
      );

      const long = 'token '.repeat(5000);
      const alone = await post(sim.url, '/v1/chat/completions', chatBody(long));
      expectError(alone, 400, 'BadRequestError');
      expect(alone.json.error.message).toMatch(
        /^This model's maximum context length is 4096 tokens\. However, your request has \d+ input tokens\. Please reduce the length of the input messages\. None$/,
      );
    });

    it('a bad stream:true request gets plain JSON, never SSE headers', async () => {
      const r = await post(sim.url, '/v1/chat/completions', chatBody('x', { stream: true, temperature: -2 }));
      expectError(r, 400, 'BadRequestError');
      const missing = await post(sim.url, '/v1/completions', { model: 'nope', prompt: 'x', stream: true });
      expectError(missing, 404, 'NotFoundError');
      const so = await post(sim.url, '/v1/completions', { prompt: 'x', stream_options: { include_usage: true } });
      expectError(so, 400, 'Bad Request');
    });
  });
});
