import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Test, TestingModule } from '@nestjs/testing';
import { simulatorModelFromConfig } from '../../src/simulator/model-from-config';
import { loadCitadelConfig } from '../../src/config/config-loader';
import { Mixtral8x7BConfig } from '../../src/config/models/mixtral-8x7b.config';
import { Phi3MiniConfig } from '../../src/config/models/phi-3-mini.config';
import { Mixtral8x7BModule, Mixtral8x7BService } from '../../src/services/ai-models/mixtral-8x7b/mixtral-8x7b.module';
import { Phi3MiniModule, Phi3MiniService } from '../../src/services/ai-models/phi-3-mini/phi-3-mini.module';
import { ModelService } from '../../src/services/ai-models/model-service';
import { EngineCall, EngineReply, UpstreamState, VllmEngine } from '../../src/services/core/vllm-engine/vllm-engine';
import { INSTANT_PROFILE } from '../../src/simulator/profiles';
import { startSimulator } from '../../src/simulator/sim-server';
import { RunningSimulator } from '../../src/simulator/types';
import { REPO } from '../support/start-citadel';

/** The way a user imports a model module in their own tests. */
describe('model modules in Test.createTestingModule', () => {
  let sim: RunningSimulator;
  let mixtral: Mixtral8x7BConfig;
  let module: TestingModule;

  beforeAll(async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'citadel-mod-'));
    const config = loadCitadelConfig({ cwd, configDir: join(REPO, 'config'), env: {}, only: ['mixtral-8x7b', 'phi-3-mini'] });
    rmSync(cwd, { recursive: true, force: true });
    mixtral = config.model('mixtral-8x7b') as Mixtral8x7BConfig;
    sim = await startSimulator({ models: [{ ...simulatorModelFromConfig(mixtral), profile: INSTANT_PROFILE }], instant: true }, { port: 0, host: '127.0.0.1' });
    mixtral.engine.urls = [sim.url];
    module = await Test.createTestingModule({ imports: [Mixtral8x7BModule.forRoot(mixtral)] }).compile();
  });

  afterAll(async () => {
    await module?.close();
    await sim?.close();
  });

  it('gives the seed API over a real engine (TC-L1-COMP-MIXTRAL-003 can be written against it)', async () => {
    const service = module.get(Mixtral8x7BService);
    expect(module.get(ModelService)).toBe(service);
    const result = await service.generateCompletion('Explain quantum computing', { max_tokens: 10 });
    expect(result.choices.length).toBeGreaterThan(0);
    expect(result.model).toBe('mistralai/Mixtral-8x7B-Instruct-v0.1');
    const chat = await service.chat([{ role: 'user', content: 'Hello' }], { max_tokens: 5 });
    expect(chat.choices[0].message.role).toBe('assistant');
    expect(service.getModelInfo()).toMatchObject({ id: 'mixtral-8x7b', max_model_len: 32768, port: 11400, memory_limit_gb: 90, cpu_cores: 8 });
    expect(service.getMemoryUsage().rss_bytes).toBeGreaterThan(0);
    expect(service.getCpuUsage().cores_allocated).toBe(8);
  });

  it('relays the engine\'s refusal as an error with its status', async () => {
    const service = module.get(Mixtral8x7BService);
    await expect(service.generateCompletion('word '.repeat(40_000), { max_tokens: 10 })).rejects.toMatchObject({ status: 400 });
  });

  it('lets a test bind another engine', async () => {
    const calls: EngineCall[] = [];
    class CannedEngine extends VllmEngine {
      async call(call: EngineCall): Promise<EngineReply> {
        calls.push(call);
        const body = Readable.from([Buffer.from(JSON.stringify({ choices: [{ index: 0, text: 'canned', finish_reason: 'stop' }] }))]);
        return { status: 200, contentType: 'application/json', headers: {}, body, upstream: 'canned', progress: () => undefined };
      }
      upstreams(): UpstreamState[] {
        return [{ url: 'canned', up: true, circuit: 'closed', inFlight: 0, since: new Date(0).toISOString() }];
      }
      async probe() {
        return true;
      }
      activity() {
        return { inFlight: 0, lastProgressAt: Date.now() };
      }
      async close() {}
    }
    const phi = loadCitadelConfig({ cwd: REPO, configDir: join(REPO, 'config'), env: {}, only: ['phi-3-mini'] }).model('phi-3-mini') as Phi3MiniConfig;
    const custom = await Test.createTestingModule({ imports: [Phi3MiniModule.forRoot(phi)] })
      .overrideProvider(VllmEngine)
      .useValue(new CannedEngine())
      .compile();
    try {
      const answer = await custom.get(Phi3MiniService).generateCompletion('hi');
      expect(answer.choices[0].text).toBe('canned');
      expect(JSON.parse(String(calls[0].body))).toMatchObject({ model: 'microsoft/Phi-3-mini-4k-instruct', prompt: 'hi', stream: false });
    } finally {
      await custom.close();
    }
  });
});
