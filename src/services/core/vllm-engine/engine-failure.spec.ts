import { classifyTransportError } from './engine-failure';

/**
 * undici's timer errors, each to the failure kind of its timer (README, the timers on the path):
 * the connect timeout is an engine we could not reach (retried elsewhere, 502); the headers and
 * body timeouts are an engine that did not answer in time (504).
 */
describe('classifyTransportError: the timers', () => {
  const upstream = 'http://127.0.0.1:1';

  it('UND_ERR_CONNECT_TIMEOUT (connect_ms) is a connect failure, like a refused connection', () => {
    expect(classifyTransportError({ code: 'UND_ERR_CONNECT_TIMEOUT' }, upstream).kind).toBe('connect');
    expect(classifyTransportError({ code: 'ECONNREFUSED' }, upstream).kind).toBe('connect');
  });

  it('UND_ERR_HEADERS_TIMEOUT (first_byte_ms, first_token_ms before headers) and UND_ERR_BODY_TIMEOUT are timeouts', () => {
    expect(classifyTransportError({ code: 'UND_ERR_HEADERS_TIMEOUT' }, upstream).kind).toBe('timeout');
    expect(classifyTransportError({ code: 'UND_ERR_BODY_TIMEOUT' }, upstream).kind).toBe('timeout');
  });
});
