import { ShuttingDown } from '../common/shutting-down';
import { InFlightRequests } from './in-flight-requests';

describe('InFlightRequests', () => {
  it('keeps what is added until it is deleted, in any order, and a second delete does nothing', () => {
    const inFlight = new InFlightRequests();
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const entries = controllers.map((c) => inFlight.add(c));
    expect(inFlight.size).toBe(5);
    inFlight.delete(entries[1]);
    inFlight.delete(entries[4]);
    inFlight.delete(entries[1]);
    expect(inFlight.size).toBe(3);
    inFlight.abortAll();
    expect(controllers.map((c) => c.signal.aborted)).toEqual([true, false, true, true, false]);
    expect(controllers[0].signal.reason).toBeInstanceOf(ShuttingDown);
    for (const e of [entries[0], entries[2], entries[3]]) inFlight.delete(e);
    expect(inFlight.size).toBe(0);
  });

  it('aborts every request when a controller removes itself while being aborted (a request settling on abort)', () => {
    const inFlight = new InFlightRequests();
    const controllers = Array.from({ length: 3 }, () => new AbortController());
    const entries = controllers.map((c) => inFlight.add(c));
    controllers.forEach((c, i) => c.signal.addEventListener('abort', () => inFlight.delete(entries[i])));
    inFlight.abortAll();
    expect(controllers.every((c) => c.signal.aborted)).toBe(true);
    expect(inFlight.size).toBe(0);
  });
});
