import { EventLoopLag } from './event-loop-lag';

describe('EventLoopLag', () => {
  it('sees a blocked event loop', async () => {
    const lag = EventLoopLag.get();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const until = Date.now() + 300;
    while (Date.now() < until) {
      // Busy: the loop cannot turn.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lag.lagMs().max).toBeGreaterThanOrEqual(250);
  });
});
