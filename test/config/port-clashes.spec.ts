import 'reflect-metadata';
import { join } from 'node:path';
import { ConfigProblem } from '../../src/config/config-problem';
import { editConfigFile, expectConfigError, load, replaceOnce, sharedCwd, shownPath, TempDirs } from './config-fixtures';

const clashes = (problems: readonly ConfigProblem[]) => problems.filter((p) => /clash/.test(p.rule));

describe('port clashes (DESIGN.md port map)', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.cleanup());

  describe("the seeds' OpenChat metrics port 11403 beside Phi-3-Mini's service port", () => {
    it('is refused when set through OPENCHAT_3_5_METRICS_PORT, naming both owners and the port', () => {
      const error = expectConfigError(() => load({ OPENCHAT_3_5_METRICS_PORT: '11403' }));
      const found = clashes(error.problems);
      expect(found).toHaveLength(1);
      const [clash] = found;
      expect(clash.value).toBe(11403);
      expect(clash.rule).toContain('openchat-3.5');
      expect(clash.rule).toContain('phi-3-mini');
      expect(clash.rule).toContain('11403');
      // It says which listener of each: OpenChat's metrics and Phi-3's service.
      expect(clash.rule).toMatch(/openchat-3\.5 \(metrics port\)/);
      expect(clash.rule).toMatch(/phi-3-mini \(service port\)/);
      expect(error.problems).toHaveLength(1);
    });

    it('is refused when written in the YAML, naming a file and the key', () => {
      const configDir = dirs.configCopy();
      editConfigFile(configDir, 'services/openchat-3.5.yaml', replaceOnce('prometheus_port: 11405', 'prometheus_port: 11403'));
      const error = expectConfigError(() => load({}, { configDir }));
      const [clash] = clashes(error.problems);
      expect(clash).toBeDefined();
      expect(clash.rule).toMatch(/openchat-3\.5.*phi-3-mini|phi-3-mini.*openchat-3\.5/);
      expect(clash.rule).toContain('11403');
      const files = ['openchat-3.5', 'phi-3-mini'].map((id) => shownPath(sharedCwd(), join(configDir, 'services', `${id}.yaml`)));
      expect(files).toContain(clash.source);
      expect(['service.port', 'monitoring.prometheus_port']).toContain(clash.key);
    });
  });

  it('refuses the gateway on a model port (CITADEL_GATEWAY_PORT=11400)', () => {
    const error = expectConfigError(() => load({ CITADEL_GATEWAY_PORT: '11400' }));
    const found = clashes(error.problems);
    expect(found).toHaveLength(1);
    expect(found[0].value).toBe(11400);
    expect(found[0].rule).toMatch(/gateway/);
    expect(found[0].rule).toContain('mixtral-8x7b');
    expect(found[0].rule).toContain('11400');
  });

  it("refuses a model's metrics port on its own service port", () => {
    const error = expectConfigError(() => load({ YI_34B_METRICS_PORT: '11406' }));
    const [clash] = clashes(error.problems);
    expect(clash.rule).toMatch(/yi-34b \(metrics port\)/);
    expect(clash.rule).toMatch(/yi-34b \(service port\)/);
  });

  it('reports each clash when there are several', () => {
    const error = expectConfigError(() => load({ OPENCHAT_3_5_METRICS_PORT: '11403', YI_34B_PORT: '11401' }));
    const found = clashes(error.problems);
    expect(found.map((p) => p.value).sort()).toEqual([11401, 11403]);
    expect(found.find((p) => p.value === 11401)?.rule).toMatch(/yi-34b.*mixtral-8x7b|mixtral-8x7b.*yi-34b/);
  });

  it('names the variable when the clashing port was set through the environment', () => {
    const error = expectConfigError(() => load({ YI_34B_PORT: '11401' }));
    const [clash] = clashes(error.problems);
    expect(clash).toMatchObject({ source: 'YI_34B_PORT (environment)', key: 'service.port', value: 11401 });
  });

  it('lets several listeners use port 0 (any free port) without a clash', () => {
    const config = load({
      CITADEL_GATEWAY_PORT: '0',
      MIXTRAL_8X7B_PORT: '0',
      MIXTRAL_8X7B_METRICS_PORT: '0',
      OPENCHAT_3_5_PORT: '0',
      OPENCHAT_3_5_METRICS_PORT: '0',
      PHI_3_MINI_PORT: '0',
    });
    expect(config.gateway.port).toBe(0);
    expect(config.models.filter((m) => m.service.port === 0)).toHaveLength(3);
  });

  describe('a disabled model takes no port', () => {
    let configDir: string;
    beforeAll(() => {
      configDir = dirs.configCopy();
      editConfigFile(configDir, 'services/phi-3-mini.yaml', replaceOnce('  enabled: true', '  enabled: false'));
    });

    it('is not loaded', () => {
      const config = load({}, { configDir });
      expect(config.models.map((m) => m.id)).toEqual(['mixtral-8x7b', 'openchat-3.5', 'yi-34b']);
      expect(config.model('phi-3-mini')).toBeUndefined();
    });

    it("so OpenChat's metrics may use its port 11403", () => {
      const config = load({ OPENCHAT_3_5_METRICS_PORT: '11403' }, { configDir });
      expect(config.model('openchat-3.5')?.monitoring.prometheus_port).toBe(11403);
    });

    it('and another model may take its metrics port 11404', () => {
      expect(load({ YI_34B_PORT: '11404' }, { configDir }).model('yi-34b')?.service.port).toBe(11404);
    });

    it('but its values are still validated', () => {
      const error = expectConfigError(() => load({ PHI_3_MINI_PORT: 'abc' }, { configDir }));
      expect(error.problems.map((p) => [p.source, p.key])).toEqual([['PHI_3_MINI_PORT (environment)', 'service.port']]);
    });
  });

  it('a disabled gateway takes no port', () => {
    const config = load({ CITADEL_GATEWAY_ENABLED: 'false', CITADEL_GATEWAY_PORT: '11400' });
    expect(config.gateway).toMatchObject({ enabled: false, port: 11400 });
  });
});
