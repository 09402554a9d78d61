import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, streamText } from 'ai';
import { loadCitadelConfig } from '../../src/config/config-loader';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { simulatorModelFromConfig } from '../../src/simulator/model-from-config';
import { INSTANT_PROFILE } from '../../src/simulator/profiles';
import { startSimulator } from '../../src/simulator/sim-server';
import { RunningSimulator } from '../../src/simulator/types';
import { holdFirstReplica } from '../support/hold-replica';
import { REPO, startCitadel } from '../support/start-citadel';

/**
 * The Responses API through the gateway with two real clients nobody here wrote: the Vercel AI
 * SDK's `@ai-sdk/openai` (whose default model call is the Responses API) and LangChain's
 * `ChatOpenAI` with `useResponsesApi`, on Mixtral served by two vLLM replicas (simulators with
 * vLLM's response store on). Each client makes responses on both replicas (placed with a held
 * stream, and checked), then continues each by previous_response_id, one at a time: the follow-up
 * must reach the replica that holds its predecessor (src/services/core/vllm-engine/replica-affinity.ts).
 * Covered: generateText and streamText (AI SDK), invoke and stream (LangChain).
 */
describe('Responses clients through the gateway, follow-ups over two replicas', () => {
  let a: RunningSimulator;
  let b: RunningSimulator;
  let server: ServiceOrchestrator;
  let baseURL: string;

  beforeAll(async () => {
    const model = { ...simulatorModelFromConfig(loadCitadelConfig({ cwd: REPO, only: ['mixtral-8x7b'] }).model('mixtral-8x7b')!), profile: { ...INSTANT_PROFILE, itlBaseMs: 2 } };
    const sim = () => startSimulator({ models: [model], enableResponsesStore: true }, { port: 0, host: '127.0.0.1' });
    [a, b] = await Promise.all([sim(), sim()]);
    server = await startCitadel({ env: { MIXTRAL_8X7B_ENGINE_MODE: 'external', MIXTRAL_8X7B_ENGINE_URLS: `${a.url},${b.url}` } });
    baseURL = `${server.gatewayUrl}/v1`;
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await Promise.all([a?.close(), b?.close()]);
  });

  const holderOf = async (id: string) => {
    const held = await Promise.all([a, b].map(async (sim) => (await fetch(`${sim.url}/v1/responses/${id}`)).status === 200));
    return held[0] ? 'a' : held[1] ? 'b' : undefined;
  };

  /**
   * Runs `create` for each of `kinds` twice: on the first replica (both idle), then while a held
   * stream keeps it busy, on the second (test/support/hold-replica.ts); checks where they landed.
   */
  async function onBothReplicas(kinds: ('json' | 'stream')[], create: (kind: 'json' | 'stream', i: number) => Promise<string>): Promise<string[]> {
    const ids: string[] = [];
    for (const kind of kinds) ids.push(await create(kind, ids.length));
    const held = await holdFirstReplica(server.gatewayUrl!, 'mixtral');
    try {
      for (const kind of kinds) ids.push(await create(kind, ids.length));
    } finally {
      held.release();
    }
    expect(await Promise.all(ids.map(holderOf))).toEqual([...kinds.map(() => 'a'), ...kinds.map(() => 'b')]);
    return ids;
  }

  it('@ai-sdk/openai (Responses by default): generateText and streamText, then follow-ups by previousResponseId', async () => {
    const openai = createOpenAI({ baseURL, apiKey: 'unused' });
    const first = await onBothReplicas(['json', 'stream'], async (kind, i) => {
      if (kind === 'json') {
        const r = await generateText({ model: openai('mixtral'), prompt: `Question ${i}`, maxOutputTokens: 6, maxRetries: 0 });
        expect(r.text.length).toBeGreaterThan(0);
        return r.providerMetadata!.openai.responseId as string;
      }
      const s = streamText({ model: openai('mixtral'), prompt: `Question ${i}`, maxOutputTokens: 6, maxRetries: 0 });
      expect((await s.text).length).toBeGreaterThan(0);
      return (await s.providerMetadata)!.openai.responseId as string;
    });
    for (const id of first) {
      const next = await generateText({ model: openai('mixtral'), prompt: 'And then?', maxOutputTokens: 6, maxRetries: 0, providerOptions: { openai: { previousResponseId: id } } });
      expect(next.text.length).toBeGreaterThan(0);
      expect(await holderOf(next.providerMetadata!.openai.responseId as string)).toBe(await holderOf(id));
    }
  });

  it('LangChain ChatOpenAI with useResponsesApi: invoke and stream, then follow-ups by previous_response_id', async () => {
    const chat = new ChatOpenAI({ model: 'mixtral', useResponsesApi: true, apiKey: 'unused', configuration: { baseURL }, maxTokens: 6, maxRetries: 0 });
    const first = await onBothReplicas(['json', 'stream'], async (kind, i) => {
      if (kind === 'json') {
        const m = await chat.invoke(`Question ${i}`);
        expect(String(m.text).length).toBeGreaterThan(0);
        return m.id ?? (m.response_metadata.id as string);
      }
      let id = '';
      let text = '';
      for await (const chunk of await chat.stream(`Question ${i}`)) {
        text += chunk.text;
        id ||= (chunk.response_metadata?.id as string | undefined) ?? (chunk.id?.startsWith('resp_') ? chunk.id : '');
      }
      expect(text.length).toBeGreaterThan(0);
      return id;
    });
    for (const id of first) {
      const next = await chat.invoke('And then?', { previous_response_id: id });
      expect(String(next.text).length).toBeGreaterThan(0);
      const nextId = next.id ?? (next.response_metadata.id as string);
      expect(await holderOf(nextId)).toBe(await holderOf(id));
    }
  });
});
