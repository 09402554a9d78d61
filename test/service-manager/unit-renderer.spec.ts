import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parse as parseEnv } from 'dotenv';
import { ServiceManagerConfig } from '../../src/config/service-manager.config';
import { envLine, RenderError, UnitRenderer, unitName } from '../../src/services/core/service-manager/unit-renderer';
import { loadConfig, loadModel, REPO } from './helpers';

const defaults = () => loadConfig().serviceManager;

describe('UnitRenderer: the template', () => {
  const template = new UnitRenderer(defaults()).template();
  const directives = (text: string) => text.split('\n').filter((l) => /^[A-Za-z]+=/.test(l));

  it('keeps the seed security directives and limits, without the lines systemd cannot expand', () => {
    for (const line of [
      'NoNewPrivileges=true',
      'PrivateTmp=true',
      'ProtectSystem=strict',
      'ProtectHome=true',
      'ReadWritePaths=/opt/citadel/config/services /var/log/citadel-llm /var/run/citadel-llm',
      'LimitNOFILE=65536',
      'LimitNPROC=32768',
      'ExecReload=/bin/kill -HUP $MAINPID',
      'SyslogIdentifier=citadel-llm-%i',
      'KillSignal=SIGTERM',
      'Restart=always',
      'RestartSec=10',
      'User=agent0',
      'Group=agent0',
      'EnvironmentFile=/opt/citadel/config/services/%i.env',
      'ExecStartPre=/opt/citadel/app/node_modules/node/bin/node /opt/citadel/app/bin/citadel-llm services validate %i',
      'ExecStart=/opt/citadel/app/node_modules/node/bin/node /opt/citadel/app/bin/citadel-llm serve %i',
      'WantedBy=multi-user.target',
    ]) {
      expect(directives(template)).toContain(line);
    }
    expect(template).not.toMatch(/%i_MEMORY_GB|%i_CPU_CORES/);
    expect(directives(template).some((l) => /^(MemoryMax|CPUQuota)=/.test(l))).toBe(false);
    expect(directives(template).some((l) => l.startsWith('TimeoutStopSec='))).toBe(true);
  });

  it('hardens without breaking a Node server with a GPU child', () => {
    const d = directives(template);
    for (const line of [
      'ProtectKernelTunables=true',
      'ProtectKernelModules=true',
      'ProtectControlGroups=true',
      'RestrictSUIDSGID=true',
      'LockPersonality=true',
      'RestrictNamespaces=true',
      'SystemCallArchitectures=native',
      'CapabilityBoundingSet=',
      'PrivateDevices=no',
      'DevicePolicy=closed',
      'DeviceAllow=char-nvidia* rw',
    ]) {
      expect(d).toContain(line);
    }
    // V8's JIT needs W+X pages; /dev/nvidia* must stay visible.
    expect(d.some((l) => l.startsWith('MemoryDenyWriteExecute='))).toBe(false);
    expect(d).not.toContain('PrivateDevices=yes');
    expect(d.some((l) => l.startsWith('ProcSubset='))).toBe(false);
  });

  it('takes the project, its Node.js, users and paths from render options and configuration', () => {
    const manager = loadConfig({ VLLM_USER: 'llm', VLLM_GROUP: 'llm', VLLM_LOG_PATH: '/srv/log/llm', DEFAULT_RESTART_POLICY: 'on-failure' }).serviceManager;
    const t = new UnitRenderer(manager, { app: '/srv/citadel', pathPrefix: ['/opt/venv/bin'] }).template();
    expect(t).toContain('ExecStart=/srv/citadel/node_modules/node/bin/node /srv/citadel/bin/citadel-llm serve %i\n');
    expect(t).toContain('ExecStartPre=/srv/citadel/node_modules/node/bin/node /srv/citadel/bin/citadel-llm services validate %i\n');
    expect(t).toContain('User=llm\nGroup=llm\n');
    expect(t).toContain('ReadWritePaths=/opt/citadel/config/services /srv/log/llm /var/run/citadel-llm\n');
    expect(t).toContain('Restart=on-failure\n');
    // A child that runs `node` finds the project's Node.js first.
    expect(t).toContain('Environment=PATH=/srv/citadel/node_modules/node/bin:/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n');
    const other = new UnitRenderer(manager, { app: '/srv/citadel', node: '/opt/node-v24/bin/node' }).template();
    expect(other).toContain('ExecStart=/opt/node-v24/bin/node /srv/citadel/bin/citadel-llm serve %i\n');
  });

  it('refuses paths that would break a unit file', () => {
    expect(() => new UnitRenderer(defaults(), { app: 'citadel' })).toThrow(RenderError);
    expect(() => new UnitRenderer(defaults(), { app: '/opt/my dir/citadel' })).toThrow(RenderError);
    expect(() => new UnitRenderer(defaults(), { node: '/opt/node $(id)' })).toThrow(/the Node.js binary/);
    expect(() => new UnitRenderer(loadConfig({ VLLM_LOG_PATH: '/var/log/a%b' }).serviceManager)).toThrow(/VLLM_LOG_PATH/);
  });

  it('is what config/services/citadel-llm@.service holds (re-render with: citadel-llm services render all --root DIR)', () => {
    expect(readFileSync(join(REPO, 'config', 'services', 'citadel-llm@.service'), 'utf8')).toBe(template);
  });
});

describe('UnitRenderer: per-model drop-ins', () => {
  it.each([
    ['mixtral-8x7b', '90G', '800%'],
    ['openchat-3.5', '8G', '400%'],
    ['phi-3-mini', '4G', '200%'],
    ['yi-34b', '80G', '800%'],
  ])('%s: MemoryMax=%s CPUQuota=%s with the service defaults', (id, memory, cpu) => {
    const text = new UnitRenderer(defaults()).resourcesDropIn(loadModel(id));
    expect(text).toContain(`[Service]\nMemoryMax=${memory}\nCPUQuota=${cpu}\nTasksMax=1000\nRestart=always\nRestartSec=10\n`);
  });

  it('uses the DEFAULT_* settings where the model has no value, and the model values first', () => {
    const manager = loadConfig({ DEFAULT_MEMORY_LIMIT_GB: '6', DEFAULT_CPU_CORES: '3', DEFAULT_MAX_TASKS: '512', DEFAULT_RESTART_POLICY: 'on-failure', DEFAULT_RESTART_SEC: '5' }).serviceManager;
    const renderer = new UnitRenderer(manager);
    const model = loadModel('phi-3-mini', { PHI_3_MINI_CPU_CORES: '1.5' });
    expect(renderer.resourcesDropIn(model)).toContain('MemoryMax=4G\nCPUQuota=150%\nTasksMax=512\nRestart=on-failure\nRestartSec=5\n');
    delete (model.performance as Partial<typeof model.performance>).memory_limit_gb;
    delete (model.performance as Partial<typeof model.performance>).cpu_cores;
    expect(renderer.resourcesDropIn(model)).toContain('MemoryMax=6G\nCPUQuota=300%\n');
  });

  it('orders each unit after the models configured before it', () => {
    const r = new UnitRenderer(defaults());
    expect(r.orderDropIn('mixtral-8x7b')).toBeUndefined();
    expect(r.orderDropIn('openchat-3.5')).toContain('[Unit]\nAfter=citadel-llm@mixtral-8x7b.service\n');
    expect(r.orderDropIn('yi-34b')).toContain('After=citadel-llm@mixtral-8x7b.service citadel-llm@openchat-3.5.service citadel-llm@phi-3-mini.service\n');
  });
});

describe('UnitRenderer: env files', () => {
  it('carries only the model variables set when rendering, the service settings, and CITADEL_CONFIG_DIR of the installed YAMLs', () => {
    const operatorEnv = { MIXTRAL_8X7B_PORT: '11500', MIXTRAL_8X7B_MODEL_PATH: '/data/mixtral', PHI_3_MINI_PORT: '11600', UNRELATED: 'x' };
    const config = loadConfig({ CITADEL_ENV: 'production', ...operatorEnv });
    const text = new UnitRenderer(config.serviceManager, { configDir: config.configDir, operatorEnv }).envFile(config.model('mixtral-8x7b')!);
    expect(parseEnv(text)).toEqual({
      MIXTRAL_8X7B_PORT: '11500',
      MIXTRAL_8X7B_MODEL_PATH: '/data/mixtral',
      CITADEL_ENV: 'production',
      SERVER_IP: '127.0.0.1',
      SERVER_HOSTNAME: hostname(),
      CITADEL_CONFIG_DIR: '/opt/citadel/config',
      VLLM_SERVICE_TEMPLATE_PATH: '/opt/citadel/config/services',
      VLLM_LOG_PATH: '/var/log/citadel-llm',
      VLLM_PID_PATH: '/var/run/citadel-llm',
    });
    // Without variables set, no model key is pinned: the installed YAML decides every one.
    const bare = parseEnv(new UnitRenderer(config.serviceManager).envFile(config.model('mixtral-8x7b')!));
    expect(Object.keys(bare).filter((k) => k.startsWith('MIXTRAL_8X7B_'))).toEqual([]);
  });

  it('refuses a VLLM_SERVICE_TEMPLATE_PATH not named "services" (the loader reads <config dir>/services/<model>.yaml)', () => {
    expect(() => new UnitRenderer(loadConfig({ VLLM_SERVICE_TEMPLATE_PATH: '/etc/citadel/yamls' }).serviceManager)).toThrow(/must be a folder named "services"/);
  });

  it('quotes values that need it', () => {
    expect(envLine('A', '/opt/models/x')).toBe('A=/opt/models/x');
    expect(envLine('A', 'two words')).toBe('A="two words"');
    expect(envLine('A', 'a"b$c\\d`e')).toBe('A="a\\"b\\$c\\\\d\\`e"');
    expect(parseEnv(envLine('A', 'two words')).A).toBe('two words');
    expect(() => envLine('A', 'x\ny')).toThrow(RenderError);
  });
});

describe('UnitRenderer: target and tmpfiles.d', () => {
  it('the target wants every enabled model in the configured order', () => {
    const config = loadConfig();
    const text = new UnitRenderer(config.serviceManager).target(config.models);
    expect(text).toContain(`Wants=${['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b'].map(unitName).join(' ')}\n`);
    expect(text).toContain('[Install]\nWantedBy=multi-user.target\n');
    const some = new UnitRenderer(config.serviceManager).target(config.models.filter((m) => m.id !== 'openchat-3.5'));
    expect(some).toContain('Wants=citadel-llm@mixtral-8x7b.service citadel-llm@phi-3-mini.service citadel-llm@yi-34b.service\n');
  });

  it('writes tmpfiles.d lines for the service directories (/var/run as /run)', () => {
    const text = new UnitRenderer(defaults()).tmpfiles();
    expect(text).toContain('d /opt/citadel/config/services 0755 agent0 agent0 -\n');
    expect(text).toContain('d /var/log/citadel-llm 0750 agent0 agent0 -\n');
    expect(text).toContain('d /run/citadel-llm 0755 agent0 agent0 -\n');
  });

  it('matches the copies in config/systemd', () => {
    const config = loadConfig();
    const r = new UnitRenderer(config.serviceManager);
    expect(readFileSync(join(REPO, 'config', 'systemd', 'citadel-llm.target'), 'utf8')).toBe(r.target(config.models, true));
    expect(readFileSync(join(REPO, 'config', 'systemd', 'citadel-llm-gateway.service'), 'utf8')).toBe(r.gatewayUnit(config.models));
    expect(readFileSync(join(REPO, 'config', 'systemd', 'tmpfiles.d', 'citadel-llm.conf'), 'utf8')).toBe(r.tmpfiles());
  });

  it('lists every file where it goes on the host', () => {
    const config = loadConfig();
    const files = new UnitRenderer(config.serviceManager).files(config.models, true).map((f) => f.path);
    expect(files).toEqual([
      '/etc/systemd/system/citadel-llm@.service',
      '/etc/systemd/system/citadel-llm@mixtral-8x7b.service.d/10-resources.conf',
      '/opt/citadel/config/services/mixtral-8x7b.env',
      '/etc/systemd/system/citadel-llm@openchat-3.5.service.d/10-resources.conf',
      '/etc/systemd/system/citadel-llm@openchat-3.5.service.d/20-order.conf',
      '/opt/citadel/config/services/openchat-3.5.env',
      '/etc/systemd/system/citadel-llm@phi-3-mini.service.d/10-resources.conf',
      '/etc/systemd/system/citadel-llm@phi-3-mini.service.d/20-order.conf',
      '/opt/citadel/config/services/phi-3-mini.env',
      '/etc/systemd/system/citadel-llm@yi-34b.service.d/10-resources.conf',
      '/etc/systemd/system/citadel-llm@yi-34b.service.d/20-order.conf',
      '/opt/citadel/config/services/yi-34b.env',
      '/etc/systemd/system/citadel-llm.target',
      '/etc/tmpfiles.d/citadel-llm.conf',
    ]);
    const withGateway = new UnitRenderer(config.serviceManager).files(config.models, true, true).map((f) => f.path);
    expect(withGateway.filter((p) => !files.includes(p))).toEqual(['/etc/systemd/system/citadel-llm-gateway.service', '/opt/citadel/config/services/gateway.env']);
  });
});

describe('UnitRenderer: the gateway unit', () => {
  const config = loadConfig();
  const renderer = new UnitRenderer(config.serviceManager);
  const unit = renderer.gatewayUnit(config.models);
  const directives = (text: string) => text.split('\n').filter((l) => /^[A-Za-z]+=/.test(l));

  it('runs `citadel-llm gateway` with the project\'s Node.js, as part of the target, after every enabled model\'s unit', () => {
    expect(unit).toContain('ExecStart=/opt/citadel/app/node_modules/node/bin/node /opt/citadel/app/bin/citadel-llm gateway\n');
    expect(unit).toContain('PartOf=citadel-llm.target\n');
    expect(unit).toContain(`After=network.target ${['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b'].map(unitName).join(' ')}\n`);
    expect(renderer.gatewayUnit(config.models.filter((m) => m.id !== 'yi-34b'))).not.toContain('yi-34b');
    expect(unit).toContain('EnvironmentFile=/opt/citadel/config/services/gateway.env\n');
    expect(renderer.target(config.models, true)).toMatch(/^Wants=.*citadel-llm@yi-34b\.service citadel-llm-gateway\.service$/m);
  });

  it('has every hardening directive of the model services\' template, with a private /dev instead of the GPU device policy', () => {
    const template = directives(renderer.template());
    const gpuOnly = ['PrivateDevices=no', 'DevicePolicy=closed', 'DeviceAllow=char-nvidia* rw'];
    const hardening = template.filter((l) => /^(No|Private|Protect|Restrict|Capability|Ambient|Lock|RemoveIPC|SystemCall|UMask|LimitNO)/.test(l) && !gpuOnly.includes(l));
    expect(hardening.length).toBeGreaterThan(20);
    for (const line of hardening) expect(directives(unit)).toContain(line);
    expect(directives(unit)).toContain('PrivateDevices=true');
    for (const line of gpuOnly) expect(directives(unit)).not.toContain(line);
    // Nothing writable: the gateway keeps no state.
    expect(unit).not.toContain('ReadWritePaths=');
  });

  it('its env file points at the installed YAMLs and carries the gateway\'s and the models\' variables set when rendering', () => {
    const env = parseEnv(new UnitRenderer(config.serviceManager, { operatorEnv: { CITADEL_GATEWAY_PORT: '8080', PHI_3_MINI_PORT: '12403', UNRELATED: 'x' } }).gatewayEnvFile());
    expect(env).toEqual({ CITADEL_GATEWAY_PORT: '8080', PHI_3_MINI_PORT: '12403', CITADEL_ENV: config.serviceManager.CITADEL_ENV, CITADEL_CONFIG_DIR: '/opt/citadel/config' });
  });
});

describe('ServiceManagerConfig defaults used by the renderer', () => {
  it('are the seed values', () => {
    const c = new ServiceManagerConfig();
    expect([c.DEFAULT_MAX_TASKS, c.DEFAULT_RESTART_POLICY, c.DEFAULT_RESTART_SEC]).toEqual([1000, 'always', 10]);
  });
});
