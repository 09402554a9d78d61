import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { RequestSignal } from './request-signal';

/** The response's close event and state, as RequestSignal reads them; no socket. */
class FakeResponse extends EventEmitter {
  destroyed = false;
  writableFinished = false;
}
const signalOf = (res: FakeResponse) => new RequestSignal(res as unknown as ServerResponse);

describe('RequestSignal (the request’s one AbortSignal)', () => {
  it('aborts when the connection closes before the answer was written', () => {
    const res = new FakeResponse();
    const request = signalOf(res);
    expect(request.signal.aborted).toBe(false);
    res.emit('close');
    expect(request.signal.aborted).toBe(true);
  });

  it('does not abort when the close follows a complete answer', () => {
    const res = new FakeResponse();
    const request = signalOf(res);
    res.writableFinished = true;
    res.emit('close');
    expect(request.signal.aborted).toBe(false);
  });

  it('is aborted from the start when the connection closed before the handler ran', () => {
    const res = new FakeResponse();
    res.destroyed = true;
    expect(signalOf(res).signal.aborted).toBe(true);
  });

  it('stops watching once disposed', () => {
    const res = new FakeResponse();
    const request = signalOf(res);
    request.dispose();
    expect(res.listenerCount('close')).toBe(0);
    res.emit('close');
    expect(request.signal.aborted).toBe(false);
  });
});
