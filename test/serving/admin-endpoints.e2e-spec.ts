import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { startCitadel } from '../support/start-citadel';

/**
 * The allow-list (src/api/forwarded-endpoints.ts): vLLM's admin and development endpoints, as
 * its api_server.py registers them (LoRA loading with VLLM_ALLOW_RUNTIME_LORA_UPDATING, sleep
 * mode and the dev endpoints with VLLM_SERVER_DEV_MODE, profiling with VLLM_TORCH_PROFILER_DIR,
 * elastic EP, pause/resume), are never reachable through us: 404 on the gateway and on a model
 * port, asked with a valid key so the 404 is the route's answer and not a 401.
 */
const ADMIN_PATHS = [
  '/v1/load_lora_adapter',
  '/v1/unload_lora_adapter',
  '/sleep',
  '/wake_up',
  '/is_sleeping',
  '/reset_prefix_cache',
  '/reset_mm_cache',
  '/collective_rpc',
  '/server_info',
  '/start_profile',
  '/stop_profile',
  '/scale_elastic_ep',
  '/is_scaling_elastic_ep',
  '/pause',
  '/resume',
  '/is_paused',
  '/update_weights',
  '/v1/responses/resp_x/unknown',
];

describe("vLLM's admin and development endpoints answer 404 through the gateway and the model ports", () => {
  const KEY = 'sk-admin-endpoints-test';
  let server: ServiceOrchestrator;

  beforeAll(async () => {
    server = await startCitadel({ env: { CITADEL_API_KEYS: KEY } });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it.each(ADMIN_PATHS)('%s is 404 (GET and POST) on the gateway and every model port', async (path) => {
    for (const base of [server.gatewayUrl!, ...server.models.map((m) => m.url)]) {
      for (const method of ['GET', 'POST']) {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${KEY}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
          body: method === 'POST' ? JSON.stringify({ model: 'phi-3-mini', lora_name: 'x', lora_path: '/tmp' }) : undefined,
        });
        expect([base, method, res.status]).toEqual([base, method, 404]);
        await res.arrayBuffer();
      }
    }
  });

  it('the forwarded endpoints themselves need the key when keys are set', async () => {
    for (const [method, path] of [['POST', '/v1/responses'], ['GET', '/v1/responses/resp_x'], ['POST', '/v1/responses/resp_x/cancel'], ['POST', '/v1/embeddings'], ['POST', '/tokenize'], ['POST', '/detokenize'], ['GET', '/v1/models/phi-3-mini']]) {
      const res = await fetch(`${server.gatewayUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
      expect([path, res.status]).toEqual([path, 401]);
    }
  });
});
