/**
 * LoRA adapters on the simulator, as on a vLLM started with `--enable-lora --lora-modules
 * name=path` (shapes from vllm/entrypoints/openai/serving_models.py `show_available_models`, the
 * 404 from serving_engine.py `_check_model`): /v1/models lists each adapter after the base model
 * with `root` its path and `parent` the base; a request naming an adapter is served, and its answer
 * (JSON or each stream chunk) names the adapter; a name it was not started with is the 404.
 */
import { runSimCommand } from '../../src/simulator/sim-cli';
import type { RunningSimulator } from '../../src/simulator/types';
import { chatBody, get, post, SERVED, sseChunks, startTestSimulator, testModel, waitFor } from './helpers';

describe('simulator: LoRA adapters', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ models: [testModel({ loraModules: [{ name: 'sql-lora', path: '/opt/loras/sql' }, { name: 'org/chat-lora', path: '/opt/loras/chat' }] })] });
  });
  afterAll(() => sim.close());

  it('/v1/models: the base model, then each adapter with root = its path and parent = the base', async () => {
    const { json } = await get(sim.url, '/v1/models');
    expect(json.data.map((m: any) => [m.id, m.root, m.parent, m.max_model_len])).toEqual([
      [SERVED, SERVED, null, 4096],
      ['sql-lora', '/opt/loras/sql', SERVED, null],
      ['org/chat-lora', '/opt/loras/chat', SERVED, null],
    ]);
    expect(json.data[1]).toMatchObject({ object: 'model', owned_by: 'vllm', permission: [expect.objectContaining({ object: 'model_permission' })] });
  });

  it('chat, completions and responses by adapter name answer as the adapter; streams name it in every chunk', async () => {
    const chat = await post(sim.url, '/v1/chat/completions', chatBody('Hi', { model: 'sql-lora', max_tokens: 4 }));
    expect(chat.status).toBe(200);
    expect(chat.json.model).toBe('sql-lora');
    const completion = await post(sim.url, '/v1/completions', { model: 'org/chat-lora', prompt: 'Hi', max_tokens: 4 });
    expect(completion.json.model).toBe('org/chat-lora');
    const response = await post(sim.url, '/v1/responses', { model: 'sql-lora', input: 'Hi', max_output_tokens: 4 });
    expect(response.json.model).toBe('sql-lora');
    const stream = await post(sim.url, '/v1/chat/completions', chatBody('Hi', { model: 'sql-lora', max_tokens: 4, stream: true }));
    const chunks = sseChunks(stream.text);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.model).toBe('sql-lora');
    // The base model still answers as itself.
    expect((await post(sim.url, '/v1/chat/completions', chatBody('Hi', { model: SERVED, max_tokens: 2 }))).json.model).toBe(SERVED);
  });

  it('an adapter it was not started with is 404 NotFoundError, as vLLM', async () => {
    const r = await post(sim.url, '/v1/chat/completions', chatBody('Hi', { model: 'other-lora' }));
    expect(r.status).toBe(404);
    expect(r.json.error).toMatchObject({ message: 'The model `other-lora` does not exist.', type: 'NotFoundError', code: 404 });
  });

  it('refuses an adapter named like a served model or another adapter', async () => {
    await expect(startTestSimulator({ models: [testModel({ loraModules: [{ name: SERVED, path: '/x' }] })] })).rejects.toThrow(/used twice/);
    await expect(startTestSimulator({ models: [testModel({ loraModules: [{ name: 'a', path: '/x' }, { name: 'a', path: '/y' }] })] })).rejects.toThrow(/used twice/);
  });
});

describe('citadel-llm sim --enable-lora --lora-modules', () => {
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const o = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
    const e = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
    const controller = new AbortController();
    const exit = runSimCommand(argv, { 'test-model': testModel() }, { signal: controller.signal });
    const stop = async () => {
      controller.abort();
      const code = await exit;
      o.mockRestore();
      e.mockRestore();
      return code;
    };
    return { out, err, exit, stop };
  };

  it("takes vLLM's two forms, name=path and JSON", async () => {
    const r = await run(['--model', 'test-model', '--port', '0', '--enable-lora', '--lora-modules', 'sql-lora=/opt/loras/sql', '{"name":"json-lora","path":"/opt/loras/json"}']);
    try {
      await waitFor(() => r.out.join('').includes('\n'), 'the ready line');
      const { url } = JSON.parse(r.out.join('')) as { url: string };
      const ids = (await get(url, '/v1/models')).json.data.map((m: any) => `${m.id}:${m.root}:${m.parent}`);
      expect(ids).toEqual([`${SERVED}:${SERVED}:null`, `sql-lora:/opt/loras/sql:${SERVED}`, `json-lora:/opt/loras/json:${SERVED}`]);
    } finally {
      expect(await r.stop()).toBe(0);
    }
  });

  it.each([
    [['--lora-modules', 'a=/x'], /--lora-modules needs --enable-lora/],
    [['--enable-lora', '--lora-modules', 'no-path'], /expected name=path/],
    [['--enable-lora', '--lora-modules', '{"name":"a"}'], /needs "name" and "path"/],
  ])('usage error for %j', async (flags, message) => {
    const r = await run(['--model', 'test-model', '--port', '0', ...flags]);
    expect(await r.exit).toBe(2);
    await r.stop();
    expect(r.err.join('')).toMatch(message);
  });
});
