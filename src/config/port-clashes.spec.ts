import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { GatewayConfig } from './gateway-config';
import { ModelServiceConfig } from './model-config';
import { findPortClashes } from './port-clashes';

const model = (name: string, port: number, prometheus_port: number) =>
  plainToInstance(ModelServiceConfig, { service: { name, port }, monitoring: { prometheus_port } }, { exposeDefaultValues: true });

const gateway = (port: number, enabled = true) => Object.assign(new GatewayConfig(), { port, enabled });
const source = (owner: string) => (owner === 'gateway' ? 'gateway.yaml' : `services/${owner}.yaml`);

describe('findPortClashes', () => {
  it('finds nothing when every listener has its own port', () => {
    expect(findPortClashes([model('a', 1000, 1001), model('b', 1002, 1003)], gateway(8000), source)).toEqual([]);
  });

  it('names both owners, the port, and where the second one is configured', () => {
    expect(findPortClashes([model('a', 1000, 1001), model('b', 1001, 1003)], gateway(8000), source)).toEqual([
      { source: 'services/b.yaml', key: 'service.port', value: 1001, rule: 'port clash: b (service port) and a (metrics port) both listen on 1001' },
    ]);
  });

  it('checks the gateway', () => {
    const [clash] = findPortClashes([model('a', 8000, 1001)], gateway(8000), source);
    expect(clash.rule).toBe('port clash: a (service port) and the gateway both listen on 8000');
  });

  it('ignores a disabled gateway', () => {
    expect(findPortClashes([model('a', 8000, 1001)], gateway(8000, false), source)).toEqual([]);
  });

  it('lets any number of listeners use port 0', () => {
    expect(findPortClashes([model('a', 0, 0), model('b', 0, 0)], gateway(0), source)).toEqual([]);
  });

  it('reports a third owner of a port against the first', () => {
    const clashes = findPortClashes([model('a', 1000, 1001), model('b', 1000, 1002), model('c', 1000, 1003)], gateway(8000), source);
    expect(clashes.map((c) => c.rule)).toEqual([
      'port clash: b (service port) and a (service port) both listen on 1000',
      'port clash: c (service port) and a (service port) both listen on 1000',
    ]);
  });
});
