import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { loadCitadelConfig } from '../config/config-loader';
import { simulatorModelFromConfig } from '../simulator/model-from-config';
import { INSTANT_PROFILE } from '../simulator/profiles';
import { startSimulator } from '../simulator/sim-server';
import type { RunningSimulator } from '../simulator/types';
import { FLOOR_NAMES, FloorProxy, startFrameworkFloor } from './framework-floors';

const REPO = join(__dirname, '..', '..');
const closeServer = (s: Server) => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve())));

/** A loopback URL nothing listens on: a port taken and given back. */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await closeServer(s);
  return `http://127.0.0.1:${port}`;
}

/**
 * The three floors of `bench floors` against the simulator (in-process, instant profile): each
 * relays both forwarded routes, refuses a body without a model, answers 502 when the upstream
 * is gone and aborts the upstream call when its client leaves. The answers' shapes are the
 * simulator's (vLLM's vllm/entrypoints/openai/protocol.py ChatCompletionResponse and
 * CompletionResponse): the floors must hand them on byte for byte.
 */
describe.each(FLOOR_NAMES)('framework floor %s', (name) => {
  let sim: RunningSimulator;
  let servedName: string;
  let proxy: FloorProxy;

  beforeAll(async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'citadel-floor-'));
    const config = loadCitadelConfig({ cwd, configDir: join(REPO, 'config'), env: {}, only: ['mixtral-8x7b'] });
    rmSync(cwd, { recursive: true, force: true });
    const model = simulatorModelFromConfig(config.models[0]);
    servedName = model.servedName;
    sim = await startSimulator({ models: [{ ...model, profile: INSTANT_PROFILE }], instant: true }, { port: 0, host: '127.0.0.1' });
    proxy = await startFrameworkFloor(name, [sim.url]);
  });

  afterAll(async () => {
    await proxy?.close();
    await sim?.close();
  });

  const post = (url: string, path: string, body: unknown, signal?: AbortSignal) =>
    request(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });

  it('relays a chat completion: 200, the JSON content type and the simulator\'s answer', async () => {
    const res = await post(proxy.url, '/v1/chat/completions', { model: servedName, messages: [{ role: 'user', content: 'Say hello.' }], max_tokens: 5, ignore_eos: true });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = (await res.body.json()) as { object: string; model: string; choices: { message: { role: string; content: string } }[]; usage: { completion_tokens: number } };
    expect(body.object).toBe('chat.completion');
    expect(body.model).toBe(servedName);
    expect(body.choices).toHaveLength(1);
    expect(body.choices[0].message.role).toBe('assistant');
    expect(body.usage.completion_tokens).toBe(5);
  });

  it('relays a completion to /v1/completions', async () => {
    const res = await post(proxy.url, '/v1/completions', { model: servedName, prompt: 'Once upon a time', max_tokens: 3, ignore_eos: true });
    expect(res.statusCode).toBe(200);
    const body = (await res.body.json()) as { object: string; usage: { completion_tokens: number } };
    expect(body.object).toBe('text_completion');
    expect(body.usage.completion_tokens).toBe(3);
  });

  it('hands on the upstream\'s own error answers (the simulator\'s 404 for an unknown model) as they came', async () => {
    const res = await post(proxy.url, '/v1/chat/completions', { model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] });
    const direct = await post(sim.url, '/v1/chat/completions', { model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.statusCode).toBe(direct.statusCode);
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(await res.body.text()).toBe(await direct.body.text());
  });

  it.each([
    ['no model', { messages: [{ role: 'user', content: 'hi' }] }],
    ['a model that is not a string', { model: 7, messages: [] }],
    ['a JSON array', [{ model: 'x' }]],
  ])('answers 400 with an OpenAI-style error for a body with %s, without calling the upstream', async (_what, body) => {
    const before = sim.stats();
    const res = await post(proxy.url, '/v1/chat/completions', body);
    expect(res.statusCode).toBe(400);
    const error = (await res.body.json()) as { error: { message: string; type: string; param: string } };
    expect(error.error).toMatchObject({ type: 'invalid_request_error', param: 'model' });
    expect(sim.stats()).toEqual(before);
  });

  it('answers 400 for a body that is not JSON, without calling the upstream', async () => {
    const before = sim.stats();
    const res = await request(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": "x",' });
    expect(res.statusCode).toBe(400);
    await res.body.dump();
    expect(sim.stats()).toEqual(before);
  });

  it.each([
    ['POST', '/v1/embeddings'],
    ['GET', '/v1/chat/completions'],
  ])('answers 404 to %s %s, which it does not forward', async (method, path) => {
    const res = await request(`${proxy.url}${path}`, { method: method as 'GET' | 'POST', headers: { 'content-type': 'application/json' }, body: method === 'POST' ? JSON.stringify({ model: servedName, input: 'x' }) : undefined });
    expect(res.statusCode).toBe(404);
    await res.body.dump();
  });

  it('answers 502 when the upstream cannot be reached', async () => {
    const orphan = await startFrameworkFloor(name, [await deadUrl()]);
    try {
      const res = await post(orphan.url, '/v1/chat/completions', { model: servedName, messages: [{ role: 'user', content: 'hi' }] });
      expect(res.statusCode).toBe(502);
      const error = (await res.body.json()) as { error: { message: string; code: string } };
      expect(error.error.code).toBe('bad_gateway');
      expect(error.error.message).toMatch(/^bad gateway: /);
    } finally {
      await orphan.close();
    }
  });

  it('aborts the upstream call when its client leaves before the answer', async () => {
    // An upstream that takes the request and never answers: only the floor's abort ends it.
    let arrived: () => void = () => undefined;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    let upstreamClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    const holder = createServer((req, res) => {
      res.once('close', () => upstreamClosed());
      req.resume();
      req.once('end', () => arrived());
    });
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const floor = await startFrameworkFloor(name, [`http://127.0.0.1:${(holder.address() as AddressInfo).port}`]);
    try {
      const controller = new AbortController();
      const pending = post(floor.url, '/v1/chat/completions', { model: servedName, messages: [] }, controller.signal);
      await requestArrived;
      controller.abort();
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
      await closed;
    } finally {
      await floor.close();
      await closeServer(holder);
    }
  });
});
