/** The official OpenAI SDK (v5) as a client: if it cannot use an endpoint, the endpoint is wrong. */
import OpenAI from 'openai';
import type { RunningSimulator } from '../../src/simulator/types';
import { SERVED, startTestSimulator } from './helpers';

describe('the openai SDK against the simulator', () => {
  let sim: RunningSimulator;
  let client: OpenAI;
  beforeAll(async () => {
    sim = await startTestSimulator();
    client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(() => sim.close());

  it('lists models', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual([SERVED]);
    expect(page.data[0].owned_by).toBe('vllm');
  });

  it('completes', async () => {
    const r = await client.completions.create({ model: SERVED, prompt: 'Hello', max_tokens: 8, seed: 1 });
    expect(r.object).toBe('text_completion');
    expect(r.choices[0].text.length).toBeGreaterThan(0);
    expect(r.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('chats', async () => {
    const r = await client.chat.completions.create({
      model: SERVED,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Say something.' },
      ],
      max_completion_tokens: 12,
      n: 2,
    });
    expect(r.choices).toHaveLength(2);
    expect(r.choices[0].message.role).toBe('assistant');
    expect(typeof r.choices[0].message.content).toBe('string');
    expect(['stop', 'length']).toContain(r.choices[0].finish_reason);
  });

  it('streams a chat, with usage at the end', async () => {
    const stream = await client.chat.completions.create({
      model: SERVED,
      messages: [{ role: 'user', content: 'Stream please.' }],
      max_tokens: 20,
      stream: true,
      stream_options: { include_usage: true },
      // vLLM extension, passed through by the SDK.
      ...({ ignore_eos: true } as object),
    });
    let text = '';
    let chunks = 0;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      chunks += 1;
      for (const c of chunk.choices) {
        text += c.delta.content ?? '';
        finish = c.finish_reason ?? finish;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBe(1 + 20 + 1);
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('length');
    expect(usage?.completion_tokens).toBe(20);
  });

  it('streams a completion', async () => {
    const stream = await client.completions.create({ model: SERVED, prompt: 'Count', max_tokens: 5, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
  });

  it('maps errors to the SDK classes', async () => {
    await expect(
      client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const err = await client.chat.completions
      .create({ model: SERVED, messages: [{ role: 'user', content: 'x' }], temperature: -1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/temperature must be non-negative/);
  });
});
