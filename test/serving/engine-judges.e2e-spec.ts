import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { startCitadel } from '../support/start-citadel';

/**
 * Never stricter than vLLM: the gateway checks only the fields it reads itself (model, stream,
 * stream_options, max_tokens, messages/prompt); each limit it used to add is now the engine's.
 * One case per removed limit: a value vLLM accepts gets through (200), and a value vLLM refuses
 * gets vLLM's 400 from the engine, not ours. The refusals are vLLM's SamplingParams._verify_args
 * (vllm/sampling_params.py) and the max_logprobs check of vllm/v1/engine/processor.py, as the
 * simulator reproduces them.
 */
describe('limits vLLM does not have are the engine\'s to judge (through the gateway)', () => {
  let server: ServiceOrchestrator;
  let url: string;

  beforeAll(async () => {
    server = await startCitadel({ only: ['phi-3-mini'] });
    url = server.models[0].url;
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  const chat = (extra: Record<string, unknown>) =>
    fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 3, ...extra }) });
  const complete = (extra: Record<string, unknown>) =>
    fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'Hi', max_tokens: 3, ...extra }) });

  it.each([
    ['stop: 5 strings (we allowed 4)', () => chat({ stop: ['a', 'b', 'c', 'd', 'e'] })],
    ['stop: 6 strings on completions', () => complete({ stop: ['a', 'b', 'c', 'd', 'e', 'f'] })],
    ['temperature: 2.5 (we allowed up to 2)', () => chat({ temperature: 2.5 })],
    ['completions logprobs: 10 (we allowed up to 5)', () => complete({ logprobs: 10 })],
    ['n: 2 with a seed', () => chat({ n: 2, seed: 7 })],
    // vLLM takes any role string (CustomChatCompletionMessageParam); the chat template decides, and Phi-3's skips roles it does not know.
    ["a role outside OpenAI's list (we allowed six)", () => chat({ messages: [{ role: 'narrator', content: 'Once' }, { role: 'user', content: 'Hi' }] })],
  ])('accepts what vLLM accepts: %s', async (_name, send) => {
    const res = await send();
    expect(res.status).toBe(200);
  });

  it.each([
    ['temperature: -1', () => chat({ temperature: -1 }), /temperature/],
    ['temperature: "hot"', () => chat({ temperature: 'hot' }), /temperature|float|number/i],
    ['top_p: 1.5', () => chat({ top_p: 1.5 }), /top_p/],
    ['n: 0', () => chat({ n: 0 }), /n/],
    ['presence_penalty: 3', () => chat({ presence_penalty: 3 }), /presence_penalty/],
    ['frequency_penalty: -3', () => complete({ frequency_penalty: -3 }), /frequency_penalty/],
    ['completions logprobs: 25 (over max_logprobs 20)', () => complete({ logprobs: 25 }), /logprobs/],
  ])("relays the engine's 400 for what vLLM refuses: %s", async (_name, send, about) => {
    const res = await send();
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    // Not our validation's message ("Invalid request: …"): the engine's own.
    expect(body.error.message).not.toMatch(/^Invalid request/);
    expect(body.error.message).toMatch(about);
  });
});
