import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { createTestingHttpApp, loadCitadelConfig, ModelAppModule, Phi3MiniConfig, Phi3MiniService, RunningSimulator, simulatorModelFromConfig, startSimulator } from 'citadel-llm-server';
import { resetEngine, setFaults, waitFor } from '../support/engine-control';

/**
 * /efficiency's status comes from the throttle's Terminus indicator (queue saturation, admitted
 * rate against the target). The queue is filled without timing: the engine hangs every request
 * (vLLM's SSE headers, then nothing), one engine slot (max_num_seqs 1) holds the first, and the
 * rest wait in the admission queue until the test aborts them.
 */
describe('/efficiency: the throttle\'s health', () => {
  let engine: RunningSimulator;
  let app: NestFastifyApplication;
  let phi: Phi3MiniService;
  const efficiency = async () => (await request(app.getHttpServer()).get('/efficiency').expect(200)).body;

  beforeAll(async () => {
    const config = loadCitadelConfig({ env: {}, only: ['phi-3-mini'] }).model('phi-3-mini') as Phi3MiniConfig;
    engine = await startSimulator({ models: [simulatorModelFromConfig(config)], instant: true }, { port: 0, host: '127.0.0.1' });
    config.engine.urls = [engine.url];
    config.model.max_num_seqs = 1;
    config.efficiency!.queue_size = 5;
    config.efficiency!.queue_timeout_ms = 60_000;
    app = await createTestingHttpApp(await Test.createTestingModule({ imports: [ModelAppModule.forRoot(config)] }).compile());
    phi = app.get(Phi3MiniService);
  });

  afterAll(async () => {
    await app?.close();
    await engine?.close();
  });

  it('is healthy with room in the queue, degraded from 80% of it, unhealthy when full below the target rate, and healthy again once it drains', async () => {
    expect(await efficiency()).toMatchObject({ status: 'healthy', optimization_status: 'active', checks: { throttle: { status: 'up', queue_depth: 0, queue_size: 5, target_rps: 100 } } });

    await setFaults(engine.url, { hang: true });
    const callers: AbortController[] = [];
    const outcomes: Promise<unknown>[] = [];
    const send = () => {
      const caller = new AbortController();
      callers.push(caller);
      outcomes.push(phi.streamCompletion({ prompt: 'Hello', max_tokens: 5 }, caller.signal).next().catch((e: unknown) => e));
    };
    send();
    await waitFor(async () => (await efficiency()).in_flight === 1, 5_000, 'the first request at the engine');
    for (let i = 0; i < 4; i++) send();
    await waitFor(async () => (await efficiency()).queue_depth === 4, 5_000, 'four requests queued');
    expect(await efficiency()).toMatchObject({ status: 'degraded', degraded: 'queue_saturated', checks: { throttle: { status: 'up', queue_saturation: 0.8 } } });

    send();
    await waitFor(async () => (await efficiency()).queue_depth === 5, 5_000, 'the queue full');
    const full = await efficiency();
    expect(full).toMatchObject({ status: 'unhealthy', checks: { throttle: { status: 'down', queue_saturation: 1, in_flight: 1, max_concurrency: 1 } } });
    expect(full.reason).toMatch(/^the admission queue is 100% full \(5 of 5\) with [\d.]+ req\/s admitted of the target 100/);

    for (const caller of callers) caller.abort();
    expect(await Promise.all(outcomes)).toEqual(callers.map(() => expect.objectContaining({ status: 499 })));
    await resetEngine(engine.url);
    await waitFor(async () => {
      const now = await efficiency();
      return now.queue_depth === 0 && now.in_flight === 0;
    }, 5_000, 'the queue to drain');
    expect(await efficiency()).toMatchObject({ status: 'healthy', checks: { throttle: { status: 'up' } } });
  });
});
