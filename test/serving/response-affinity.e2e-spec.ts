import OpenAI from 'openai';
import { loadCitadelConfig } from '../../src/config/config-loader';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { simulatorModelFromConfig } from '../../src/simulator/model-from-config';
import { INSTANT_PROFILE } from '../../src/simulator/profiles';
import { startSimulator } from '../../src/simulator/sim-server';
import { RunningSimulator } from '../../src/simulator/types';
import { holdFirstReplica } from '../support/hold-replica';
import { REPO, startCitadel } from '../support/start-citadel';

/**
 * Stored responses with two replicas of one model: vLLM keeps `store: true` responses in its own
 * memory (serving_responses.py), so a follow-up by previous_response_id, a retrieve and a cancel
 * must reach the replica that made the response; any other answers 404. The gateway learns the
 * holder from each create (JSON and stream) and asks it. Covered: creates on both replicas
 * (placed with a held stream, and checked), then, one by one (the engine would send every
 * request to the first, idle replica), retrieve on the gateway and the model port,
 * a follow-up, a cancel of a background response (as the openai SDK sends it: Content-Type JSON and
 * no body, which vLLM's route takes); and a holder that is gone (the other replica's 404).
 */
describe('stored responses reach the replica that holds them (two Mixtral replicas)', () => {
  let a: RunningSimulator;
  let b: RunningSimulator;
  let server: ServiceOrchestrator;
  let gateway: OpenAI;
  let port: OpenAI;

  beforeAll(async () => {
    const model = { ...simulatorModelFromConfig(loadCitadelConfig({ cwd: REPO, only: ['mixtral-8x7b'] }).model('mixtral-8x7b')!), profile: { ...INSTANT_PROFILE, itlBaseMs: 20 } };
    const sim = () => startSimulator({ models: [model], enableResponsesStore: true }, { port: 0, host: '127.0.0.1' });
    [a, b] = await Promise.all([sim(), sim()]);
    server = await startCitadel({ env: { MIXTRAL_8X7B_ENGINE_MODE: 'external', MIXTRAL_8X7B_ENGINE_URLS: `${a.url},${b.url}` } });
    gateway = new OpenAI({ baseURL: `${server.gatewayUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
    port = new OpenAI({ baseURL: `${server.models.find((m) => m.id === 'mixtral-8x7b')!.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await Promise.all([a?.close(), b?.close()]);
  });

  /** Which replica holds a response, asked directly. */
  const holderOf = async (id: string) => {
    const held = await Promise.all([a, b].map(async (sim) => (await fetch(`${sim.url}/v1/responses/${id}`)).status === 200));
    return held[0] ? a : held[1] ? b : undefined;
  };

  /**
   * Responses on both replicas, made through the gateway: JSON and streamed on the first (both
   * idle), then the same while a held stream keeps the first busy (test/support/hold-replica.ts).
   */
  async function createSpread(): Promise<string[]> {
    const create = async (i: number) => {
      if (i % 2 === 0) return (await gateway.responses.create({ model: 'mixtral', input: `Question ${i}`, max_output_tokens: 4, store: true })).id;
      const stream = await gateway.responses.create({ model: 'mixtral', input: `Question ${i}`, max_output_tokens: 4, store: true, stream: true });
      let id = '';
      for await (const event of stream) if (event.type === 'response.completed') id = event.response.id;
      return id;
    };
    const created = [await create(0), await create(1)];
    const held = await holdFirstReplica(server.gatewayUrl!, 'mixtral');
    try {
      created.push(await create(2), await create(3));
    } finally {
      held.release();
    }
    expect(await Promise.all(created.map(holderOf))).toEqual([a, a, b, b]);
    return created;
  }

  it('retrieve (gateway and model port) and a follow-up by previous_response_id reach the holder, one by one', async () => {
    for (const id of await createSpread()) {
      expect((await gateway.responses.retrieve(id)).id).toBe(id);
      expect((await port.responses.retrieve(id)).id).toBe(id);
      const next = await gateway.responses.create({ model: 'mixtral', input: 'And then?', previous_response_id: id, max_output_tokens: 4, store: true });
      expect(next.status).toBe('completed');
      // The follow-up is stored where its predecessor is, and is found there too.
      expect(await holderOf(next.id)).toBe(await holderOf(id));
      expect((await gateway.responses.retrieve(next.id)).id).toBe(next.id);
    }
  });

  it('a cancel of a background response reaches its holder', async () => {
    const background = async (i: number) => (await gateway.responses.create({ model: 'mixtral', input: `Long ${i}`, max_output_tokens: 2000, background: true, store: true })).id;
    const ids = [await background(0)];
    const held = await holdFirstReplica(server.gatewayUrl!, 'mixtral');
    try {
      ids.push(await background(1));
    } finally {
      held.release();
    }
    expect(await Promise.all(ids.map(holderOf))).toEqual([a, b]);
    for (const id of ids) expect((await gateway.responses.cancel(id)).status).toBe('cancelled');
  });

  it('when the holder is gone, the response is gone with it: the other replica answers 404', async () => {
    const ids = await createSpread();
    const onB = [];
    for (const id of ids) if ((await holderOf(id)) === b) onB.push(id);
    await b.close();
    for (const id of onB) await expect(gateway.responses.retrieve(id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
