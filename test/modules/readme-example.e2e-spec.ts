import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { createTestingHttpApp, loadCitadelConfig, MixtralService, MixtralServiceConfig, ModelAppModule, RunningSimulator, simulatorModelFromConfig, startSimulator } from 'citadel-llm-server';

describe('Mixtral-8x7B in my own tests', () => {
  let engine: RunningSimulator;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    // The shipped config/services/mixtral-8x7b.yaml, validated (`env` overrides, as variables do).
    const config = loadCitadelConfig({ env: {}, only: ['mixtral-8x7b'] }).model('mixtral-8x7b') as MixtralServiceConfig;
    // The engine: the vLLM simulator on a free loopback port (a real vLLM's URL works the same).
    engine = await startSimulator({ models: [simulatorModelFromConfig(config)], instant: true }, { port: 0, host: '127.0.0.1' });
    config.engine.urls = [engine.url];
    // The model's port as the server runs it: its module, OpenAI's REST, /health, /metrics.
    const moduleRef = await Test.createTestingModule({ imports: [ModelAppModule.forRoot(config)] }).compile();
    app = await createTestingHttpApp(moduleRef);
  });

  afterAll(async () => {
    await app?.close();
    await engine?.close();
  });

  it('answers OpenAI REST in-process', async () => {
    const res = await request(app.getHttpServer())
      .post('/v1/chat/completions')
      .send({ messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8 })
      .expect(200);
    expect(res.body.choices[0].message.role).toBe('assistant');
  });

  it('streams from code on the same path as HTTP requests', async () => {
    const mixtral = app.get(MixtralService);
    let text = '';
    for await (const chunk of mixtral.streamChat({ messages: [{ role: 'user', content: 'Hello' }], max_tokens: 16 })) {
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).not.toBe('');
    // Admitted and counted like the HTTP request before it.
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toContain('citadel_llm_requests_total{model="mixtral-8x7b",endpoint="chat_completions",status="200"} 2');
  });
});
