import OpenAI from 'openai';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { startCitadel } from '../support/start-citadel';
import { BatchedConsoleLogger } from '../../src/api/batched-console-logger';

const KEY = 'sk-citadel-test-0123456789';

describe('API keys (CITADEL_API_KEYS)', () => {
  let server: ServiceOrchestrator;
  let url: string;
  const output: string[] = [];
  let restore: (() => void) | undefined;

  beforeAll(async () => {
    // Everything the server logs, to prove keys and prompts never appear in it.
    const write = process.stdout.write.bind(process.stdout);
    const writeErr = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => (output.push(String(chunk)), write(chunk, ...rest))) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => (output.push(String(chunk)), writeErr(chunk, ...rest))) as typeof process.stderr.write;
    restore = () => {
      process.stdout.write = write;
      process.stderr.write = writeErr;
    };
    server = await startCitadel({ only: ['mixtral-8x7b'], env: { CITADEL_API_KEYS: `other-key,${KEY}` }, logLevels: ['error', 'warn', 'log', 'debug', 'verbose'] });
    url = server.models[0].url;
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    restore?.();
  });

  const chat = (headers: Record<string, string>) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'SECRET-PROMPT-TEXT' }], max_tokens: 2 }),
    });

  it('answers a valid key', async () => {
    expect((await chat({ authorization: `Bearer ${KEY}` })).status).toBe(200);
    expect((await chat({ authorization: 'Bearer other-key' })).status).toBe(200);
  });

  it('refuses missing, malformed and wrong keys with one identical 401', async () => {
    const answers = await Promise.all(
      ([{}, { authorization: KEY }, { authorization: 'Basic abc' }, { authorization: `Bearer ${KEY}x` }, { authorization: 'Bearer ' }, { authorization: `Bearer ${KEY.slice(0, -1)}` }] as Record<string, string>[]).map(async (h) => {
        const res = await chat(h);
        return { status: res.status, auth: res.headers.get('www-authenticate'), body: await res.text() };
      }),
    );
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0].status).toBe(401);
    expect(answers[0].auth).toBe('Bearer');
    expect(JSON.parse(answers[0].body).error.code).toBe('invalid_api_key');
  });

  it('the SDK raises AuthenticationError', async () => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const good = new OpenAI({ baseURL: `${url}/v1`, apiKey: KEY, maxRetries: 0 });
    expect((await good.models.list()).data).toHaveLength(1);
  });

  it('leaves /health/live, /health and /metrics open', async () => {
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
  });

  it('never writes a key or a prompt to the logs or the metrics', async () => {
    await chat({ authorization: `Bearer ${KEY}` });
    await chat({ authorization: 'Bearer wrong-key-in-logs?' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    // Log lines still waiting in their batch are part of what is checked.
    BatchedConsoleLogger.flush();
    const everything = output.join('') + metrics;
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain('wrong-key-in-logs');
    expect(everything).not.toContain('SECRET-PROMPT-TEXT');
  });
});
