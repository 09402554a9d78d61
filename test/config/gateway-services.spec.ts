import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelServiceUrls } from '../../src/server/model-service-upstreams';
import { expectConfigError, load, TempDirs } from './config-fixtures';

/**
 * `gateway.services` (where `citadel-llm gateway` reaches each model service) and the key it sends
 * them. Covered: the default (each model's service port on this host), a list and a single URL,
 * unknown model ids, URLs that are not http(s) origins (another scheme, a path, a query, not a
 * string, an empty list), the key from CITADEL_MODEL_SERVICE_KEY or its _FILE, a missing key
 * file, and a key written into the YAML (refused: a secret).
 */
describe('gateway.services and the model services\' key', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.cleanup());

  function withGatewayYaml(yaml: string): string {
    const dir = dirs.configCopy();
    writeFileSync(join(dir, 'gateway.yaml'), yaml);
    return dir;
  }

  it('defaults to each model\'s service port on this host, and takes a list or one URL per model', () => {
    expect(modelServiceUrls(load(), load().model('phi-3-mini')!)).toEqual(['http://127.0.0.1:11403']);
    const configDir = withGatewayYaml('gateway:\n  services:\n    phi-3-mini: ["http://10.0.0.2:11403", "https://phi.example:443/"]\n    yi-34b: "http://10.0.0.3:11406"\n');
    const config = load({}, { configDir });
    expect(modelServiceUrls(config, config.model('phi-3-mini')!)).toEqual(['http://10.0.0.2:11403', 'https://phi.example:443/']);
    expect(modelServiceUrls(config, config.model('yi-34b')!)).toEqual(['http://10.0.0.3:11406']);
    expect(modelServiceUrls(config, config.model('mixtral-8x7b')!)).toEqual(['http://127.0.0.1:11400']);
  });

  it('refuses unknown model ids and anything but http(s) origins, one problem each', () => {
    const configDir = withGatewayYaml(
      'gateway:\n  services:\n    gpt-4: ["http://a:1"]\n    phi-3-mini: ["ftp://a:1", "http://a:1/v1", "http://a:1?x=1", 42]\n    yi-34b: []\n',
    );
    const error = expectConfigError(() => load({}, { configDir }));
    const rules = error.problems.map((p) => `${p.key} ${JSON.stringify(p.value)}: ${p.rule}`);
    expect(rules).toEqual([
      expect.stringMatching(/^gateway\.services\.gpt-4 "gpt-4": must be a model id/),
      'gateway.services.phi-3-mini "ftp://a:1": must be an http:// or https:// URL',
      'gateway.services.phi-3-mini "http://a:1/v1": must be an http:// or https:// URL',
      'gateway.services.phi-3-mini "http://a:1?x=1": must be an http:// or https:// URL',
      'gateway.services.phi-3-mini 42: must be an http:// or https:// URL',
      'gateway.services.yi-34b []: must be a URL or a non-empty list of URLs',
    ]);
  });

  it('reads the key from CITADEL_MODEL_SERVICE_KEY or the first line of CITADEL_MODEL_SERVICE_KEY_FILE, never from the YAML', () => {
    expect(load().gateway.service_key).toBe('');
    expect(load({ CITADEL_MODEL_SERVICE_KEY: ' k1 ' }).gateway.service_key).toBe('k1');
    const cwd = dirs.empty();
    writeFileSync(join(cwd, 'key'), '# the gateway\'s key\nk2\nk3\n');
    expect(load({ CITADEL_MODEL_SERVICE_KEY_FILE: 'key' }, { cwd }).gateway.service_key).toBe('k2');
    const missing = expectConfigError(() => load({ CITADEL_MODEL_SERVICE_KEY_FILE: 'nowhere' }, { cwd }));
    expect(missing.problems).toEqual([expect.objectContaining({ key: 'CITADEL_MODEL_SERVICE_KEY_FILE', rule: expect.stringMatching(/must be a readable file/) })]);
    const inYaml = expectConfigError(() => load({}, { configDir: withGatewayYaml('gateway:\n  service_key: "s3cret"\n') }));
    expect(inYaml.problems).toEqual([expect.objectContaining({ key: 'gateway.service_key', value: '(hidden)' })]);
    expect(inYaml.message).not.toContain('s3cret');
  });
});
