import OpenAI from 'openai';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { startCitadel } from '../support/start-citadel';

/**
 * The forwarded inference endpoints beyond chat and completions (src/api/forwarded-endpoints.ts),
 * on a model's port and on the gateway, the simulator as engine. Shapes are vLLM's:
 * Responses from vllm/entrypoints/openai/protocol.py (ResponsesResponse) and serving_responses.py,
 * the embeddings 400 from api_server.py (no embedding handler for a generative model), tokenize
 * and detokenize from serving_tokenization.py, the model object from our own /v1/models.
 */
describe('inference endpoints through the gateway and the model ports (simulated engines)', () => {
  let server: ServiceOrchestrator;
  let gateway: OpenAI;
  let phi: OpenAI;
  let phiUrl: string;

  beforeAll(async () => {
    server = await startCitadel({ simulatorArgs: ['--profile', 'instant', '--enable-responses-store'] });
    gateway = new OpenAI({ baseURL: `${server.gatewayUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
    phiUrl = server.models.find((m) => m.id === 'phi-3-mini')!.url;
    phi = new OpenAI({ baseURL: `${phiUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  const post = (base: string, path: string, body: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('creates a response (not streamed) through the gateway by alias and on a model port without a model', async () => {
    const viaGateway = await gateway.responses.create({ model: 'openchat', input: 'Hello there', max_output_tokens: 12 });
    expect(viaGateway.object).toBe('response');
    expect(viaGateway.model).toBe('openchat/openchat-3.5-0106');
    expect(viaGateway.status).toBe('completed');
    expect(viaGateway.output.length).toBeGreaterThan(0);
    expect(viaGateway.usage!.output_tokens).toBeGreaterThan(0);
    const onPort = await phi.responses.create({ input: 'Hi' } as never);
    expect(onPort.object).toBe('response');
  });

  it('streams a response: the events arrive as the engine sent them, ending with response.completed', async () => {
    const stream = await gateway.responses.create({ model: 'mixtral-8x7b', input: 'Stream please', max_output_tokens: 10, stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(text.length).toBeGreaterThan(0);
  });

  it('retrieves and cancels a stored response: on the gateway by trying each engine or by ?model=, and on its port', async () => {
    const created = await gateway.responses.create({ model: 'phi-3-mini', input: 'Remember me', max_output_tokens: 5, store: true });
    const found = await gateway.responses.retrieve(created.id);
    expect(found.id).toBe(created.id);
    const byQuery = await fetch(`${server.gatewayUrl}/v1/responses/${created.id}?model=phi-3-mini`);
    expect(byQuery.status).toBe(200);
    expect(((await byQuery.json()) as { id: string }).id).toBe(created.id);
    expect((await phi.responses.retrieve(created.id)).id).toBe(created.id);
    // A finished response cannot be cancelled: vLLM's 400, relayed.
    const cancel = await post(phiUrl, `/v1/responses/${created.id}/cancel`, {});
    expect(cancel.status).toBe(400);
    // Unknown everywhere: vLLM's 404, relayed.
    await expect(gateway.responses.retrieve('resp_unknown')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const unknownModel = await fetch(`${server.gatewayUrl}/v1/responses/resp_x?model=nope`);
    expect(unknownModel.status).toBe(404);
    expect(((await unknownModel.json()) as { error: { code: string } }).error.code).toBe('model_not_found');
  });

  it("relays vLLM's 400 for embeddings from a generation model (the SDK's BadRequestError)", async () => {
    for (const client of [gateway, phi]) {
      const error = await client.embeddings.create({ model: 'phi-3-mini', input: 'embed me' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('The model does not support Embeddings API');
    }
  });

  it('tokenizes and detokenizes through the gateway and a model port', async () => {
    for (const base of [server.gatewayUrl!, phiUrl]) {
      const tokenized = await post(base, '/tokenize', { model: 'phi-3-mini', prompt: 'Hello world' });
      expect(tokenized.status).toBe(200);
      const t = (await tokenized.json()) as { tokens: number[]; count: number; max_model_len: number };
      expect(t.count).toBe(t.tokens.length);
      expect(t.count).toBeGreaterThan(0);
      const detokenized = await post(base, '/detokenize', { model: 'phi-3-mini', tokens: t.tokens });
      expect(detokenized.status).toBe(200);
      expect(((await detokenized.json()) as { prompt: string }).prompt).toContain('Hello world');
    }
  });

  it('checks only what it must: model a string, stream a boolean, the input present; routes by model', async () => {
    const cases: [string, unknown, string][] = [
      ['/v1/responses', { model: 'phi-3-mini' }, 'input'],
      ['/v1/responses', { model: 5, input: 'x' }, 'model'],
      ['/v1/responses', { model: 'phi-3-mini', input: 'x', stream: 'yes' }, 'stream'],
      ['/v1/embeddings', { model: 'phi-3-mini' }, 'input'],
      ['/tokenize', { model: 'phi-3-mini' }, 'prompt'],
      ['/detokenize', { model: 'phi-3-mini' }, 'tokens'],
      ['/tokenize', [1, 2], 'invalid_body'],
    ];
    for (const [path, body, param] of cases) {
      const res = await post(server.gatewayUrl!, path, body);
      expect(res.status).toBe(400);
      const error = ((await res.json()) as { error: { param: string | null; code: string | null } }).error;
      expect(param === 'invalid_body' ? error.code : error.param).toBe(param);
    }
    const unknown = await post(server.gatewayUrl!, '/v1/embeddings', { model: 'nope', input: 'x' });
    expect(unknown.status).toBe(404);
    const missing = await post(server.gatewayUrl!, '/tokenize', { prompt: 'x' });
    expect(missing.status).toBe(400);
  });

  it('retrieves a model by id, served name and alias (models.retrieve); unknown is 404 model_not_found', async () => {
    const listed = (await gateway.models.list()).data.find((m) => m.id === 'openchat-3.5');
    for (const name of ['openchat-3.5', 'openchat/openchat-3.5-0106', 'openchat']) {
      expect(await gateway.models.retrieve(name)).toEqual(listed);
    }
    expect((await phi.models.retrieve('phi-3-mini')).id).toBe('phi-3-mini');
    const error = await gateway.models.retrieve('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    // A model port serves only its own model.
    await expect(phi.models.retrieve('mixtral-8x7b')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('counts the new endpoints under fixed metrics labels', async () => {
    const text = await (await fetch(`${server.gatewayUrl}/metrics`)).text();
    for (const endpoint of ['responses', 'embeddings', 'tokenize', 'detokenize']) expect(text).toMatch(new RegExp(`endpoint="${endpoint}"`));
  });
});
