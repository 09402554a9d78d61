import { clientAddresses } from '../../src/server/client-addresses';

describe('SERVER_IP and SERVER_HOSTNAME: the addresses printed for a listener', () => {
  const manager = { SERVER_IP: '192.168.10.29', SERVER_HOSTNAME: 'hx-llm-server-01' };

  it.each([
    ['0.0.0.0 (IPv4 wildcard)', '0.0.0.0', ['http://192.168.10.29:11400', 'http://hx-llm-server-01:11400']],
    [':: (IPv6 wildcard)', '::', ['http://192.168.10.29:11400', 'http://hx-llm-server-01:11400']],
    ['one address: nothing added', '127.0.0.1', []],
    ['one other address: nothing added', '10.0.0.7', []],
  ])('%s', (_title, host, expected) => {
    expect(clientAddresses(host, 11400, manager)).toEqual(expected);
  });

  it('brackets an IPv6 SERVER_IP, drops an empty hostname and a duplicate', () => {
    expect(clientAddresses('0.0.0.0', 8000, { SERVER_IP: 'fd00::29', SERVER_HOSTNAME: '' })).toEqual(['http://[fd00::29]:8000']);
    expect(clientAddresses('0.0.0.0', 8000, { SERVER_IP: 'llm.local', SERVER_HOSTNAME: 'llm.local' })).toEqual(['http://llm.local:8000']);
  });
});
