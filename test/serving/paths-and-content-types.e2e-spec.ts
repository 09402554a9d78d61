import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { rawGet, rawRequest } from '../support/raw-http';
import { startCitadel } from '../support/start-citadel';

const BODY = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });

/**
 * Paths and content types as vLLM takes them (vllm/entrypoints/openai/api_server.py on
 * Starlette/FastAPI): a trailing slash redirects (307) to the route without it, query kept; a
 * JSON body with no Content-Type is parsed as JSON; `application/json; charset=utf-8` is JSON;
 * HEAD on a GET route answers its headers.
 */
describe('paths and content types', () => {
  let server: ServiceOrchestrator;
  let url: string;

  beforeAll(async () => {
    server = await startCitadel({ only: ['phi-3-mini'] });
    url = server.models[0].url;
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it.each([
    ['POST', '/v1/chat/completions/', '/v1/chat/completions'],
    ['GET', '/v1/models/', '/v1/models'],
    ['GET', '/v1/models/?a=1', '/v1/models?a=1'],
    ['GET', '/health/', '/health'],
  ])('%s %s → 307 to %s', async (method, target, location) => {
    const head = `${method} ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${method === 'POST' ? Buffer.byteLength(BODY) : 0}\r\n\r\n`;
    const answer = await rawRequest(url, head + (method === 'POST' ? BODY : ''));
    expect(answer.status).toBe(307);
    expect(answer.head).toMatch(new RegExp(`\\r\\nlocation: ${location.replace(/[?]/g, '\\?')}\\r\\n`, 'i'));
  });

  it('fetch follows the 307 and the chat is answered', async () => {
    const res = await fetch(`${url}/v1/chat/completions/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
    expect(res.status).toBe(200);
  });

  it('parses a JSON body sent without Content-Type', async () => {
    const answer = await rawRequest(url, `POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).object).toBe('chat.completion');
  });

  it('takes application/json; charset=utf-8', async () => {
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: BODY });
    expect(res.status).toBe(200);
  });

  it('answers HEAD on a GET route with its headers and no body', async () => {
    const answer = await rawRequest(url, 'HEAD /v1/models HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('');
  });

  it('an unknown path with a trailing slash is still a 404', async () => {
    expect((await rawGet(url, '/v1/nothing/')).status).toBe(404);
  });
});
