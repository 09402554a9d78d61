import { runClosedLoop } from './load-closed-loop';
import { runOpenLoop, SendOutcome } from './load-open-loop';

describe('open-loop load', () => {
  it('sends every due request once, in order, and records each outcome', async () => {
    const sent: number[] = [];
    const r = await runOpenLoop({
      offsetsMs: [0, 1, 2, 3, 4],
      maxInFlight: 10,
      send: async (i) => {
        sent.push(i);
        return i === 2 ? { ok: false, status: 503, error: 'HTTP 503' } : { ok: true, status: 200 };
      },
    });
    expect(sent).toEqual([0, 1, 2, 3, 4]);
    expect(r.dropped).toBe(0);
    expect(r.records.map((x) => x.index)).toEqual([0, 1, 2, 3, 4]);
    expect(r.records.map((x) => x.ok)).toEqual([true, true, false, true, true]);
    expect(r.records[2]).toMatchObject({ status: 503, error: 'HTTP 503', dueMs: 2 });
    for (const x of r.records) {
      expect(x.latencyMs).toBeGreaterThanOrEqual(0);
      expect(x.lagMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('drops due requests beyond the in-flight cap, and counts a thrown send as a failure', async () => {
    const pending: ((o: SendOutcome) => void)[] = [];
    const run = runOpenLoop({
      offsetsMs: [0, 0, 0, 0],
      maxInFlight: 2,
      send: (i) => (i === 1 ? Promise.reject(new Error('refused')) : new Promise<SendOutcome>((resolve) => pending.push(resolve))),
    });
    // All four are due at once: 0 and 1 take the two slots (1 fails, but only after the loop has
    // dispatched everything due), so 2 and 3 are dropped.
    await new Promise((r) => setTimeout(r, 20));
    for (const resolve of pending) resolve({ ok: true, status: 200 });
    const r = await run;
    expect(r.records.map((x) => [x.index, x.ok])).toEqual([
      [0, true],
      [1, false],
    ]);
    expect(r.dropped).toBe(2);
    expect(r.records[1].error).toBe('refused');
  });

  it('stops scheduling when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await runOpenLoop({ offsetsMs: [0, 10_000], maxInFlight: 1, send: async () => ({ ok: true }), signal: controller.signal });
    expect(r.records).toEqual([]);
  });
});

describe('closed-loop load', () => {
  it('keeps each user busy until the duration is over', async () => {
    let calls = 0;
    let inFlight = 0;
    let most = 0;
    const r = await runClosedLoop({
      concurrency: 3,
      durationMs: 30,
      send: async () => {
        const n = ++calls;
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inFlight -= 1;
        return n % 5 === 0 ? { ok: false, status: 500 } : { ok: true, status: 200 };
      },
    });
    expect(most).toBe(3);
    expect(r.count).toBe(calls);
    expect(r.ok + r.errors).toBe(r.count);
    expect(r.latenciesMs).toHaveLength(r.count);
    expect(r.statuses['500']).toBe(Math.floor(calls / 5));
    expect(r.statuses['200'] + r.statuses['500']).toBe(r.count);
  });
});
