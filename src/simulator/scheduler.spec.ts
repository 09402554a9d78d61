import type { SimModelMetrics } from './metrics';
import { INSTANT_PROFILE } from './profiles';
import { JobHandlers, JobSpec, Scheduler } from './scheduler';
import type { SimulatorModel } from './types';

function recordingMetrics() {
  const finished: string[] = [];
  let generated = 0;
  const metrics: SimModelMetrics = {
    promptTokens: () => undefined,
    generationTokens: (n) => (generated += n),
    finished: (reason) => finished.push(reason),
    timeToFirstToken: () => undefined,
    interTokenLatency: () => undefined,
    e2eLatency: () => undefined,
    queueTime: () => undefined,
  };
  return { metrics, finished, generated: () => generated };
}

const model = (maxNumSeqs: number, maxWaiting: number, itlBaseMs = 0): SimulatorModel => ({
  id: 'm',
  servedName: 'org/m',
  maxModelLen: 1024,
  maxNumSeqs,
  profile: { ...INSTANT_PROFILE, itlBaseMs, maxWaiting },
});

const spec = (steps: number, choices = 1): JobSpec => ({
  promptTokens: 10,
  choiceSteps: Array.from({ length: choices }, () => steps),
  finishReasons: Array.from({ length: choices }, () => 'length' as const),
  extraTtftMs: 0,
});

function handlers(onDone: () => void = () => undefined, steps: number[] = []): JobHandlers {
  return {
    onStep: (s) => {
      steps.push(s);
      return true;
    },
    onDone,
  };
}

describe('Scheduler', () => {
  it('runs at most maxNumSeqs at once, queues the rest FIFO and refuses past maxWaiting', async () => {
    const rec = recordingMetrics();
    const s = new Scheduler(model(2, 2, 5), { speed: 1, instant: false }, rec.metrics);
    const order: number[] = [];
    const done: Array<Promise<void>> = [];
    const jobs = [0, 1, 2, 3].map((i) => {
      let finish!: () => void;
      done.push(new Promise<void>((r) => (finish = r)));
      return s.submit(spec(3), handlers(() => {
        order.push(i);
        finish();
      }));
    });
    expect(jobs.every((j) => j !== null)).toBe(true);
    expect(s.stats()).toMatchObject({ running: 2, waiting: 2 });
    expect(s.submit(spec(3), handlers())).toBeNull();
    await Promise.all(done);
    expect(order.slice(2).sort()).toEqual([2, 3]);
    expect(s.stats()).toEqual({ running: 0, waiting: 0, completed: 4, aborted: 0 });
    expect(rec.finished).toEqual(['length', 'length', 'length', 'length']);
    expect(rec.generated()).toBe(12);
  });

  it('aborts in the queue and while running; a freed slot goes to the next waiting job', async () => {
    const rec = recordingMetrics();
    const s = new Scheduler(model(1, 5, 20), { speed: 1, instant: false }, rec.metrics);
    const steps: number[] = [];
    const running = s.submit(spec(1000), handlers(undefined, steps))!;
    const waiting = s.submit(spec(2), handlers())!;
    let lastDone!: () => void;
    const last = new Promise<void>((r) => (lastDone = r));
    s.submit(spec(2), handlers(lastDone));
    expect(s.stats()).toMatchObject({ running: 1, waiting: 2 });

    s.abort(waiting);
    expect(s.stats()).toMatchObject({ running: 1, waiting: 1, aborted: 1 });

    await new Promise((r) => setTimeout(r, 30));
    s.abort(running);
    const stepsAtAbort = steps.length;
    expect(s.stats()).toMatchObject({ running: 1, waiting: 0, aborted: 2 });
    await last;
    expect(steps.length).toBe(stepsAtAbort);
    expect(s.stats()).toEqual({ running: 0, waiting: 0, completed: 1, aborted: 2 });
    expect(rec.finished.filter((r) => r === 'abort')).toHaveLength(2);
    s.abort(running); // a second abort is a no-op
    expect(s.stats().aborted).toBe(2);
  });

  it('pauses on backpressure until resumed', async () => {
    const rec = recordingMetrics();
    const s = new Scheduler(model(1, 1), { speed: 1, instant: true }, rec.metrics);
    const seen: number[] = [];
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const job = s.submit(spec(4), {
      onStep: (step) => {
        seen.push(step);
        return step !== 1;
      },
      onDone: finish,
    })!;
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([0, 1]);
    expect(s.running()).toBe(1);
    s.resume(job);
    await done;
    expect(seen).toEqual([0, 1, 2, 3]);
  });

  it('advances n choices together and counts kv-cache usage while running', async () => {
    const rec = recordingMetrics();
    const s = new Scheduler(model(4, 1, 5), { speed: 1, instant: false }, rec.metrics);
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    s.submit({ ...spec(2), choiceSteps: [2, 5], finishReasons: ['stop', 'length'] }, handlers(finish));
    expect(s.kvCacheUsage()).toBeGreaterThan(0);
    await done;
    expect(rec.generated()).toBe(7);
    expect(rec.finished).toEqual(['stop', 'length']);
    expect(s.kvCacheUsage()).toBe(0);
  });

  it('shutdown drops everything and clears timers', () => {
    const s = new Scheduler(model(1, 5, 1000), { speed: 1, instant: false }, recordingMetrics().metrics);
    s.submit(spec(10), handlers());
    s.submit(spec(10), handlers());
    s.shutdown();
    expect(s.stats()).toMatchObject({ running: 0, waiting: 0 });
  });
});
