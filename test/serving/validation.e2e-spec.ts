import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { startCitadel } from '../support/start-citadel';

type ErrorBody = { error: { message: string; type: string; param: string | null; code: unknown } };

/** Every rule a request is checked against before anything goes upstream. */
describe('request validation on a model port', () => {
  let server: ServiceOrchestrator;
  let url: string;

  beforeAll(async () => {
    server = await startCitadel({ only: ['phi-3-mini'] });
    url = server.models[0].url;
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  async function post(path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as ErrorBody };
  }

  const chat = (extra: Record<string, unknown>) => ({ messages: [{ role: 'user', content: 'hi' }], ...extra });

  it.each([
    ['messages missing', 'messages', {}],
    ['messages empty', 'messages', { messages: [] }],
    ['messages not a list', 'messages', { messages: 'hi' }],
    ['a message whose role is not a string', 'messages[0].role', { messages: [{ role: 42, content: 'x' }] }],
    ['content of a wrong type', 'messages[0].content', { messages: [{ role: 'user', content: 42 }] }],
    ['max_tokens 0', 'max_tokens', chat({ max_tokens: 0 })],
    ['max_tokens not an integer', 'max_tokens', chat({ max_tokens: 1.5 })],
    ['max_tokens over the context', 'max_tokens', chat({ max_tokens: 5000 })],
    ['stream not a boolean', 'stream', chat({ stream: 'yes' })],
    ['model not a string', 'model', chat({ model: 7 })],
  ])('chat: %s → 400 naming %s', async (_name, param, body) => {
    const res = await post('/v1/chat/completions', body);
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('invalid_request_error');
    expect(res.body.error.param).toBe(param);
    expect(res.body.error.message.length).toBeGreaterThan(10);
  });

  it.each([
    ['prompt missing', {}],
    ['prompt empty', { prompt: '' }],
    ['prompt a number', { prompt: 12 }],
    ['prompt a list of mixed things', { prompt: ['a', 1] }],
  ])('completions: %s → 400 naming prompt', async (_name, body) => {
    const res = await post('/v1/completions', body);
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('prompt');
  });

  it.each([
    ['messages not a list', { messages: 'hi' }, /messages must be a list of messages/],
    ['messages null', { messages: null }, /messages must be a list of messages/],
    ['messages missing', {}, /messages must be a list of messages/],
  ])('names the type when a value has the wrong type: %s', async (_name, body, message) => {
    const res = await post('/v1/chat/completions', body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
  });

  it('says why a body with a "__proto__" key is refused', async () => {
    const res = await post('/v1/chat/completions', '{"messages":[{"role":"user","content":"hi"}],"__proto__":{"x":1}}');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/__proto__/);
  });

  it('malformed JSON → 400', async () => {
    const res = await post('/v1/chat/completions', '{"messages": [');
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('invalid_request_error');
  });

  it.each(['[]', '"text"', 'null', '42'])('a body that is not an object (%s) → 400', async (raw) => {
    const res = await post('/v1/chat/completions', raw);
    expect(res.status).toBe(400);
  });

  it('wrong content type → 400', async () => {
    const res = await post('/v1/chat/completions', 'messages=hi', { 'content-type': 'text/plain' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('application/json');
  });

  it('a body over the limit → 413', async () => {
    const res = await post('/v1/completions', { prompt: 'x'.repeat(5 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('request_too_large');
  });

  it('another model\'s name → 404 model_not_found listing what is served', async () => {
    const res = await post('/v1/chat/completions', chat({ model: 'mixtral-8x7b' }));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('model_not_found');
    expect(res.body.error.message).toContain('phi-3-mini');
  });

  it('an unknown path → 404 in OpenAI\'s shape', async () => {
    const res = await fetch(`${url}/v1/engines`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorBody).error.code).toBe('not_found');
  });

  it('extra fields vLLM understands pass through', async () => {
    const res = await post('/v1/chat/completions', chat({ max_tokens: 3, top_k: 5, ignore_eos: true, min_tokens: 3 }));
    expect(res.status).toBe(200);
  });

  it('the process survives all of it and still answers', async () => {
    const res = await post('/v1/completions', { prompt: 'still alive?', max_tokens: 2 });
    expect(res.status).toBe(200);
  });
});
