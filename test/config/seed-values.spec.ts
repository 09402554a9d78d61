import { hostname } from 'node:os';
import 'reflect-metadata';
import { loadCitadelConfig } from '../../src/config/config-loader';
import { CitadelConfig } from '../../src/config/citadel-config';
import { GatewayConfig } from '../../src/config/gateway-config';
import { EfficiencySection, ModelSection, ModelServiceConfig, RealtimeSection, ServiceSection } from '../../src/config/model-config';
import { Mixtral8x7BConfig } from '../../src/config/models/mixtral-8x7b.config';
import { OpenChat35Config } from '../../src/config/models/openchat-3.5.config';
import { Phi3MiniConfig } from '../../src/config/models/phi-3-mini.config';
import { Yi34BConfig } from '../../src/config/models/yi-34b.config';
import { ServiceManagerConfig } from '../../src/config/service-manager.config';
import { HUGE_HOST, REPO_CONFIG, sharedCwd } from './config-fixtures';

/**
 * The shipped config/ folder, loaded with no environment at all, against the values written in
 * the seed documents (tasks 1.2, 1.4, 1.5, 1.1) and DESIGN.md's port map (metrics ports, Yi-34B).
 */
describe('the shipped configuration carries the seeds\' values into the typed classes', () => {
  let config: CitadelConfig;

  beforeAll(() => {
    config = loadCitadelConfig({ cwd: sharedCwd(), configDir: REPO_CONFIG, env: {}, hostMemoryBytes: HUGE_HOST });
  });

  const model = (id: string): ModelServiceConfig => {
    const m = config.model(id);
    if (!m) throw new Error(`${id} is not loaded`);
    return m;
  };

  it('loads all four models, in a fixed order, with no warning on a large host', () => {
    expect(config.models.map((m) => m.id)).toEqual(['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b']);
    expect(config.warnings).toEqual([]);
  });

  describe('mixtral-8x7b (seed task 1.2)', () => {
    it('is a Mixtral8x7BConfig with typed sections', () => {
      const m = model('mixtral-8x7b');
      expect(m).toBeInstanceOf(Mixtral8x7BConfig);
      expect(m.service).toBeInstanceOf(ServiceSection);
      expect(m.model).toBeInstanceOf(ModelSection);
    });

    it('has the seed\'s service, model, performance and monitoring values', () => {
      const m = model('mixtral-8x7b');
      expect(m.service).toMatchObject({ name: 'mixtral-8x7b', port: 11400, host: '0.0.0.0', workers: 1, enabled: true });
      expect(m.model).toMatchObject({
        path: '/opt/models/mixtral-8x7b-instruct-v0.1',
        name: 'mistralai/Mixtral-8x7B-Instruct-v0.1',
        max_model_len: 32768,
        tensor_parallel_size: 1,
        gpu_memory_utilization: 0.9,
        max_num_batched_tokens: 8192,
        max_num_seqs: 256,
      });
      expect(m.performance).toMatchObject({
        target_latency_ms: 2000,
        target_throughput_rps: 10,
        memory_limit_gb: 90,
        cpu_cores: 8,
        swap_space: 0,
        enforce_eager: 0,
      });
      expect(m.monitoring).toMatchObject({ health_check_interval: 30, metrics_collection_interval: 15, prometheus_port: 11401, log_level: 'INFO' });
    });

    it('has neither a realtime nor an efficiency section', () => {
      expect(model('mixtral-8x7b').realtime).toBeUndefined();
      expect(model('mixtral-8x7b').efficiency).toBeUndefined();
    });
  });

  describe('openchat-3.5 (seed task 1.4)', () => {
    it('is an OpenChat35Config', () => {
      expect(model('openchat-3.5')).toBeInstanceOf(OpenChat35Config);
    });

    it('has the seed\'s values, with the metrics port moved from 11403 to 11405', () => {
      const m = model('openchat-3.5');
      expect(m.service).toMatchObject({ name: 'openchat-3.5', port: 11402, host: '0.0.0.0', workers: 1, enabled: true });
      expect(m.model).toMatchObject({
        path: '/opt/models/openchat-3.5-0106',
        name: 'openchat/openchat-3.5-0106',
        max_model_len: 4096,
        tensor_parallel_size: 1,
        gpu_memory_utilization: 0.7,
        max_num_batched_tokens: 2048,
        max_num_seqs: 64,
      });
      expect(m.performance).toMatchObject({
        target_latency_ms: 1000,
        target_throughput_rps: 50,
        memory_limit_gb: 8,
        cpu_cores: 4,
        swap_space: 0,
        enforce_eager: 0,
      });
      expect(m.monitoring).toMatchObject({ health_check_interval: 15, metrics_collection_interval: 10, prometheus_port: 11405, log_level: 'INFO' });
    });

    it('has the seed\'s realtime section', () => {
      const m = model('openchat-3.5');
      expect(m.realtime).toBeInstanceOf(RealtimeSection);
      expect(m.realtime).toMatchObject({
        streaming_enabled: true,
        concurrent_users: 50,
        response_chunk_size: 10,
        low_latency_mode: true,
        connection_timeout_seconds: 30,
      });
      expect(m.efficiency).toBeUndefined();
    });
  });

  describe('phi-3-mini (seed task 1.5)', () => {
    it('is a Phi3MiniConfig', () => {
      expect(model('phi-3-mini')).toBeInstanceOf(Phi3MiniConfig);
    });

    it('has the seed\'s values', () => {
      const m = model('phi-3-mini');
      expect(m.service).toMatchObject({ name: 'phi-3-mini', port: 11403, host: '0.0.0.0', workers: 1, enabled: true });
      expect(m.model).toMatchObject({
        path: '/opt/models/microsoft-Phi-3-mini-4k-instruct',
        name: 'microsoft/Phi-3-mini-4k-instruct',
        max_model_len: 2048,
        tensor_parallel_size: 1,
        gpu_memory_utilization: 0.6,
        max_num_batched_tokens: 1024,
        max_num_seqs: 32,
      });
      expect(m.performance).toMatchObject({
        target_latency_ms: 500,
        target_throughput_rps: 100,
        memory_limit_gb: 4,
        cpu_cores: 2,
        swap_space: 0,
        enforce_eager: 0,
      });
      expect(m.monitoring).toMatchObject({ health_check_interval: 10, metrics_collection_interval: 5, prometheus_port: 11404, log_level: 'INFO' });
    });

    it('has the seed\'s efficiency section', () => {
      const m = model('phi-3-mini');
      expect(m.efficiency).toBeInstanceOf(EfficiencySection);
      expect(m.efficiency).toMatchObject({
        efficiency_mode: true,
        max_throughput_rps: 100,
        memory_optimization: true,
        cpu_optimization: true,
        resource_monitoring: true,
      });
      expect(m.realtime).toBeUndefined();
    });
  });

  describe('yi-34b (DESIGN.md: no seed task)', () => {
    it('is a Yi34BConfig with the design\'s values', () => {
      const m = model('yi-34b');
      expect(m).toBeInstanceOf(Yi34BConfig);
      expect(m.service).toMatchObject({ name: 'yi-34b', port: 11406, enabled: true });
      expect(m.model).toMatchObject({
        path: '/opt/models/yi-34b-chat',
        name: '01-ai/Yi-34B-Chat',
        max_model_len: 4096,
        tensor_parallel_size: 2,
        gpu_memory_utilization: 0.9,
        max_num_batched_tokens: 4096,
        max_num_seqs: 64,
      });
      expect(m.performance).toMatchObject({ target_latency_ms: 2500, target_throughput_rps: 10, memory_limit_gb: 80, cpu_cores: 8 });
      expect(m.monitoring.prometheus_port).toBe(11407);
    });
  });

  it('gives every listener its own port, as in DESIGN.md\'s port map', () => {
    const ports = config.models.map((m) => [m.id, m.service.port, m.monitoring.prometheus_port]);
    expect(ports).toEqual([
      ['mixtral-8x7b', 11400, 11401],
      ['openchat-3.5', 11402, 11405],
      ['phi-3-mini', 11403, 11404],
      ['yi-34b', 11406, 11407],
    ]);
  });

  it('runs every model on the built-in simulator by default', () => {
    expect(config.models.map((m) => [m.id, m.engine.mode, m.engine.urls])).toEqual([
      ['mixtral-8x7b', 'simulated', []],
      ['openchat-3.5', 'simulated', []],
      ['phi-3-mini', 'simulated', []],
      ['yi-34b', 'simulated', []],
    ]);
  });

  it('puts the gateway on port 8000', () => {
    expect(config.gateway).toBeInstanceOf(GatewayConfig);
    expect(config.gateway).toMatchObject({ enabled: true, port: 8000, host: '0.0.0.0' });
  });

  it('gives the service manager the seed\'s .env defaults, with a loopback SERVER_IP', () => {
    expect(config.serviceManager).toBeInstanceOf(ServiceManagerConfig);
    expect({ ...config.serviceManager }).toEqual({
      CITADEL_ENV: 'development',
      SERVER_IP: '127.0.0.1',
      // The seed's machine name (hx-llm-server-01) is not a sensible default: this host's name is.
      SERVER_HOSTNAME: hostname(),
      VLLM_SERVICE_TEMPLATE_PATH: '/opt/citadel/config/services',
      VLLM_LOG_PATH: '/var/log/citadel-llm',
      VLLM_PID_PATH: '/var/run/citadel-llm',
      VLLM_USER: 'agent0',
      VLLM_GROUP: 'agent0',
      DEFAULT_MEMORY_LIMIT_GB: 4,
      DEFAULT_CPU_CORES: 2,
      DEFAULT_MAX_TASKS: 1000,
      DEFAULT_RESTART_POLICY: 'always',
      DEFAULT_RESTART_SEC: 10,
    });
    expect(config.serviceManager.log_path).toBe('/var/log/citadel-llm');
    expect(config.serviceManager.user).toBe('agent0');
  });
});
