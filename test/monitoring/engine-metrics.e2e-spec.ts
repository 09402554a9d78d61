import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { engineMetric, waitFor } from '../support/engine-control';
import { startCitadel } from '../support/start-citadel';
import { sampleValue, scrape } from './prom-text';

/**
 * monitoring.metrics_collection_interval decides how often the engine's own /metrics is read:
 * vLLM's vllm:num_requests_running reaches citadel_llm_engine_requests_running at the next
 * collection. A request is held running in the engine (the simulator at 1/1000 of its speed:
 * its first token is 20 s away) while the test looks, and the client's abort ends it; every wait
 * is a bounded poll, never a sleep.
 */
const SLOW = ['--speed', '0.001'];

async function ours(server: ServiceOrchestrator): Promise<number | undefined> {
  const [test] = server.models;
  return sampleValue(await scrape(test.metricsUrl), 'citadel_llm_engine_requests_running', { model: 'test', upstream: test.engineUrls[0] });
}

/** A streamed chat left running in the engine until `abort()`. */
function holdRequest(server: ServiceOrchestrator): { abort: () => void } {
  const controller = new AbortController();
  fetch(`${server.models[0].url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Hello' }], max_tokens: 5, stream: true }),
    signal: controller.signal,
    // The body stays unread: cancelling it would be the client leaving, and end the request.
  }).catch(() => undefined);
  return { abort: () => controller.abort() };
}

function withInterval(seconds: number) {
  return startCitadel({
    only: ['test'],
    simulatorArgs: SLOW,
    configure: (config) => {
      config.model('test')!.monitoring.metrics_collection_interval = seconds;
    },
  });
}

describe('engine metrics collected every monitoring.metrics_collection_interval', () => {
  jest.setTimeout(60_000);

  it('a 1 s interval sees the engine start running a request, and finish it', async () => {
    const server = await withInterval(1);
    const held = holdRequest(server);
    try {
      const engine = server.models[0].engineUrls[0];
      await waitFor(async () => (await engineMetric(engine, 'vllm:num_requests_running')) === 1, 10_000, 'the engine to run the request');
      await waitFor(async () => (await ours(server)) === 1, 10_000, 'citadel_llm_engine_requests_running to be 1');
      held.abort();
      await waitFor(async () => (await engineMetric(engine, 'vllm:num_requests_running')) === 0, 10_000, 'the engine to drop the request');
      await waitFor(async () => (await ours(server)) === 0, 10_000, 'citadel_llm_engine_requests_running to be 0');
      const text = await scrape(server.models[0].metricsUrl);
      expect(sampleValue(text, 'citadel_llm_engine_requests_waiting', { model: 'test' })).toBe(0);
      expect(sampleValue(text, 'citadel_llm_engine_kv_cache_usage_ratio', { model: 'test' })).toBeGreaterThanOrEqual(0);
    } finally {
      held.abort();
      await server.stop();
    }
  });

  it('a 1 h interval keeps the value of the collection at start while the engine changes', async () => {
    const server = await withInterval(3600);
    let held: { abort: () => void } | undefined;
    try {
      // The collection at start has happened (this engine's replica has its sample), then the request.
      await waitFor(async () => (await ours(server)) !== undefined, 10_000, 'the first collection');
      expect(await ours(server)).toBe(0);
      held = holdRequest(server);
      const engine = server.models[0].engineUrls[0];
      await waitFor(async () => (await engineMetric(engine, 'vllm:num_requests_running')) === 1, 10_000, 'the engine to run the request');
      // The next collection is an hour away.
      expect(await ours(server)).toBe(0);
    } finally {
      held?.abort();
      await server.stop();
    }
  });
});
