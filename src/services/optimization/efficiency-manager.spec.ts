import { join } from 'node:path';
import { loadCitadelConfig } from '../../config/config-loader';
import { ModelServiceConfig } from '../../config/model-config';
import { ModelMetrics } from '../../monitoring/model-metrics';
import { Release } from '../../common/release';
import { EfficiencyManager, QueueAbandoned, Throttled } from './efficiency-manager';

const REPO = join(__dirname, '..', '..', '..');

function phiConfig(efficiency: Record<string, unknown>, maxNumSeqs?: number): ModelServiceConfig {
  const config = loadCitadelConfig({ cwd: REPO, configDir: join(REPO, 'config'), env: {}, only: ['phi-3-mini'] }).model('phi-3-mini')!;
  Object.assign(config.efficiency!, efficiency);
  if (maxNumSeqs) config.model.max_num_seqs = maxNumSeqs;
  return config;
}

describe('EfficiencyManager (Phi-3-Mini throttle)', () => {
  let now: number;
  const clock = () => now;
  /** Moves the clock and the timers together, a millisecond at a time. */
  const advance = async (ms: number) => {
    for (let i = 0; i < ms; i++) {
      now += 1;
      jest.advanceTimersByTime(1);
    }
    await Promise.resolve();
  };
  const manager = (efficiency: Record<string, unknown>, maxNumSeqs?: number) => new EfficiencyManager(phiConfig(efficiency, maxNumSeqs), new ModelMetrics('phi-3-mini'), clock);

  beforeEach(() => {
    now = 10_000;
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('admits the burst at once, queues the rest in order, and lets each in as a token comes', async () => {
    const m = manager({ max_throughput_rps: 10, burst: 2, queue_size: 5, queue_timeout_ms: 10_000 });
    expect(typeof m.acquire()).toBe('function');
    expect(typeof m.acquire()).toBe('function');
    const order: number[] = [];
    const waiting = [1, 2, 3].map((n) => (m.acquire() as Promise<Release>).then(() => order.push(n)));
    expect(m.queueDepth).toBe(3);
    await advance(99);
    expect(order).toEqual([]);
    await advance(1);
    expect(order).toEqual([1]);
    await advance(200);
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3]);
    expect(m.queueDepth).toBe(0);
    expect(m.inFlight).toBe(5);
    expect(m.admittedTotal).toBe(5);
  });

  it('refuses at once when the queue is full, with a Retry-After', () => {
    const m = manager({ max_throughput_rps: 10, burst: 1, queue_size: 1, queue_timeout_ms: 10_000 });
    void m.acquire();
    void (m.acquire() as Promise<Release>).catch(() => undefined);
    let refusal: unknown;
    try {
      void m.acquire();
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(Throttled);
    expect(refusal).toMatchObject({ reason: 'queue_full', retryAfterSeconds: 1 });
    expect(m.throttled.queue_full).toBe(1);
    m.close();
  });

  it('refuses a request that waited longer than queue_timeout_ms', async () => {
    const m = manager({ max_throughput_rps: 1, burst: 1, queue_size: 4, queue_timeout_ms: 300 });
    void m.acquire();
    const waiting = m.acquire() as Promise<Release>;
    const outcome = waiting.then(
      () => 'admitted',
      (error: unknown) => error,
    );
    await advance(300);
    expect(await outcome).toMatchObject({ name: 'Throttled', reason: 'queue_timeout' });
    expect(m.queueDepth).toBe(0);
    expect(m.throttledTotal).toBe(1);
  });

  it('takes a request out of the queue when its client leaves, and lets the next one have its turn', async () => {
    const m = manager({ max_throughput_rps: 10, burst: 1, queue_size: 4, queue_timeout_ms: 10_000 });
    void m.acquire();
    const client = new AbortController();
    const leaving = (m.acquire(client.signal) as Promise<Release>).catch((error: unknown) => error);
    const next = m.acquire() as Promise<Release>;
    expect(m.queueDepth).toBe(2);
    client.abort();
    expect(await leaving).toBeInstanceOf(QueueAbandoned);
    expect(m.queueDepth).toBe(1);
    await advance(100);
    expect(typeof (await next)).toBe('function');
    expect(m.admittedTotal).toBe(2);
    // An already aborted signal never enters the queue.
    expect(() => m.acquire(AbortSignal.abort())).toThrow(QueueAbandoned);
  });

  it('holds requests beyond max_num_seqs until one finishes', async () => {
    const m = manager({ max_throughput_rps: 1000, burst: 100, queue_size: 4, queue_timeout_ms: 10_000 }, 2);
    const first = m.acquire() as Release;
    void m.acquire();
    let third = false;
    const waiting = (m.acquire() as Promise<Release>).then(() => (third = true));
    await advance(50);
    expect(third).toBe(false);
    expect(m.inFlight).toBe(2);
    first();
    first(); // releasing twice gives back one slot
    await waiting;
    expect(third).toBe(true);
    expect(m.inFlight).toBe(2);
  });

  it('without efficiency_mode admits everything and reports nothing active but resource monitoring', () => {
    const m = manager({ efficiency_mode: false, max_throughput_rps: 1, burst: 1, queue_size: 0 });
    for (let i = 0; i < 50; i++) expect(typeof m.acquire()).toBe('function');
    expect(m.inFlight).toBe(50);
    const status = m.getOptimizationStatus();
    expect(status).toMatchObject({ efficiency_mode: false, status: 'inactive', active_optimizations: ['resource_monitoring'] });
  });

  it('reports what it applies (the seeds\' get_optimization_status)', () => {
    const status = manager({}).getOptimizationStatus();
    expect(status.efficiency_mode).toBe(true);
    expect(status.active_optimizations).toEqual(['rate_limit', 'concurrency_cap', 'admission_queue', 'resource_monitoring']);
    expect(status.optimizations.rate_limit).toEqual({ active: true, max_throughput_rps: 100, burst: 20 });
    expect(status.optimizations.concurrency_cap).toMatchObject({ active: true, max_concurrency: 32 });
    expect(status.optimizations.memory_optimization).toMatchObject({ active: false, configured: true });
  });

  it('without a queue, says whether the rate or the concurrency refused', () => {
    const m = manager({ max_throughput_rps: 1, burst: 1, queue_size: 0 });
    void m.acquire();
    expect(() => m.acquire()).toThrow(expect.objectContaining({ reason: 'rate_limit' }));
    const c = manager({ max_throughput_rps: 1000, burst: 100, queue_size: 0 }, 1);
    void c.acquire();
    expect(() => c.acquire()).toThrow(expect.objectContaining({ reason: 'concurrency' }));
  });
});

describe('EfficiencyManager after a configuration reload', () => {
  it('applies the new rate and burst in place, from the next request on', () => {
    let now = 0;
    const config = phiConfig({ max_throughput_rps: 10, burst: 1, queue_size: 0 });
    const m = new EfficiencyManager(config, new ModelMetrics('phi-3-mini'), () => now);
    void m.acquire();
    expect(() => m.acquire()).toThrow(Throttled);
    // SIGHUP: the service's config object is updated in place.
    Object.assign(config.efficiency!, { max_throughput_rps: 1000, burst: 5 });
    now += 10;
    for (let i = 0; i < 5; i++) void m.acquire();
    expect(m.admittedTotal).toBe(6);
    expect(m.getOptimizationStatus().optimizations.rate_limit).toMatchObject({ max_throughput_rps: 1000, burst: 5 });
  });
});
