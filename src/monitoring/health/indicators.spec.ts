import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ModelServiceConfig } from '../../config/model-config';
import { MonitoredModel } from '../monitored-model';
import { DiskHealthIndicator } from './disk.health';
import { EngineHealthIndicator } from './engine.health';
import { EventLoopHealthIndicator } from './event-loop.health';
import { ThrottleHealthIndicator, ThrottleState } from './throttle.health';

const health = new HealthIndicatorService();

describe('EngineHealthIndicator: stall detection', () => {
  const NOW = 1_000_000;
  /** A model whose engine reports `activity`, went busy at `busySince`, with a 120 s stall timeout. */
  function model(activity: { inFlight: number; lastProgressAt: number }, busySince: number, up = true): MonitoredModel {
    return {
      config: { engine: { mode: 'external' }, monitoring: { stall_timeout_seconds: 120 } },
      engine: { upstreams: () => [{ url: 'http://vllm:8000', up, inFlight: activity.inFlight, since: '', lastError: up ? undefined : 'ECONNREFUSED' }], activity: () => activity },
      metrics: { series: { busySince } },
    } as unknown as MonitoredModel;
  }
  const check = (m: MonitoredModel) => new EngineHealthIndicator(health).check(m, NOW).engine;

  it('is up when requests get bytes, and when nothing is in flight however long ago the last byte was', () => {
    expect(check(model({ inFlight: 3, lastProgressAt: NOW - 1_000 }, NOW - 500_000)).status).toBe('up');
    expect(check(model({ inFlight: 0, lastProgressAt: NOW - 3_600_000 }, NOW - 3_600_000)).status).toBe('up');
  });

  it('does not call a request that just started after a quiet hour stalled', () => {
    expect(check(model({ inFlight: 1, lastProgressAt: NOW - 3_600_000 }, NOW - 1_000)).status).toBe('up');
  });

  it('is down, stalled, when requests are in flight and no byte came for stall_timeout_seconds', () => {
    const result = check(model({ inFlight: 2, lastProgressAt: NOW - 121_000 }, NOW - 300_000));
    expect(result).toMatchObject({ status: 'down', stalled: true, in_flight: 2 });
    expect((result as { message?: string }).message).toMatch(/stalled: 2 request\(s\) in flight and no byte from the engine for 121 s/);
  });

  it('is up but degraded (circuit_open) while a replica\'s circuit is open or half open, naming the replicas; down when none is up', () => {
    const m = (upstreams: object[]): MonitoredModel =>
      ({
        config: { engine: { mode: 'external' }, monitoring: { stall_timeout_seconds: 120 } },
        engine: { upstreams: () => upstreams, activity: () => ({ inFlight: 0, lastProgressAt: NOW }) },
        metrics: { series: { busySince: 0 } },
      }) as unknown as MonitoredModel;
    const a = { url: 'http://a:8000', up: true, circuit: 'open', failures: 5, lastFailure: 'the engine answered 500', inFlight: 0, since: '' };
    const b = { url: 'http://b:8000', up: true, circuit: 'closed', inFlight: 0, since: '' };
    expect(check(m([b]))).not.toHaveProperty('degraded');
    expect(check(m([a, b]))).toMatchObject({
      status: 'up',
      degraded: 'circuit_open',
      message: 'circuit breaker open for 1 of 2 replica(s): http://a:8000 (open, last failure: the engine answered 500)',
    });
    expect(check(m([{ ...a, circuit: 'half_open' }]))).toMatchObject({ status: 'up', degraded: 'circuit_open' });
    expect(check(m([{ ...a, up: false }]))).toMatchObject({ status: 'down' });
  });

  it('is down when no replica is up, naming why', () => {
    expect(check(model({ inFlight: 0, lastProgressAt: NOW }, 0, false))).toMatchObject({ status: 'down', message: 'no engine replica is up (http://vllm:8000: ECONNREFUSED)' });
  });
});

describe('EventLoopHealthIndicator', () => {
  it('fails over the limit', () => {
    const indicator = new EventLoopHealthIndicator(health);
    expect(indicator.check({ max: 40, p50: 1 }).event_loop).toMatchObject({ status: 'up', max_lag_ms: 40, limit_ms: 1000 });
    expect(indicator.check({ max: 1500, p50: 1 }).event_loop).toMatchObject({ status: 'down', message: 'the event loop was blocked for 1500 ms' });
  });
});

describe('DiskHealthIndicator (managed mode)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'citadel-disk-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const config = (mode: string, path: string) => ({ engine: { mode }, model: { path } }) as unknown as ModelServiceConfig;
  const disk = new DiskHealthIndicator(health);

  it('applies only when this server launches vLLM from the model path', () => {
    expect(disk.applies(config('managed', dir))).toBe(true);
    expect(disk.applies(config('simulated', dir))).toBe(false);
    expect(disk.applies(config('external', dir))).toBe(false);
  });

  it('reports the free space under the model path', async () => {
    const result = (await disk.check(config('managed', dir), 0)).disk;
    expect(result).toMatchObject({ status: 'up', path: dir, free_bytes: expect.any(Number), total_bytes: expect.any(Number) });
  });

  it('fails below the free share, and when the model path is missing', async () => {
    expect((await disk.check(config('managed', dir), 1.01)).disk).toMatchObject({ status: 'down', message: expect.stringMatching(/free under/) });
    expect((await disk.check(config('managed', join(dir, 'nope')), 0)).disk).toMatchObject({ status: 'down', message: `the model path ${join(dir, 'nope')} does not exist` });
  });
});

describe('ThrottleHealthIndicator (Phi-3-Mini\'s /efficiency): queue saturation and the admitted rate against the target', () => {
  const throttle = new ThrottleHealthIndicator(health);
  const state = (over: Partial<ThrottleState>): ThrottleState => ({ efficiencyMode: true, queueDepth: 0, queueCapacity: 100, inFlight: 0, maxConcurrency: 32, admittedPerSecond: 0, limitRps: 100, ...over });
  const check = (over: Partial<ThrottleState>) => throttle.check(state(over)).throttle as { status: string; degraded?: string; message?: string; [k: string]: unknown };

  it('is up with room in the queue, whatever the rate, and when efficiency_mode is off even with a full queue', () => {
    expect(check({ queueDepth: 79, admittedPerSecond: 100 })).toMatchObject({ status: 'up', queue_saturation: 0.79, admitted_rate_ratio: 1, target_rps: 100 });
    expect(check({ queueDepth: 0, admittedPerSecond: 3 })).not.toHaveProperty('degraded');
    expect(check({ efficiencyMode: false, queueDepth: 100 })).toMatchObject({ status: 'up', efficiency_mode: false });
    expect(check({ efficiencyMode: false, queueDepth: 100 })).not.toHaveProperty('degraded');
  });

  it('is degraded (queue_saturated) from 80% of the queue, and with a full queue while the target rate is admitted', () => {
    expect(check({ queueDepth: 80, admittedPerSecond: 40 })).toMatchObject({ status: 'up', degraded: 'queue_saturated', message: 'the admission queue is 80% full (80 of 100) at 40 req/s admitted of the target 100: requests beyond it get 429' });
    expect(check({ queueDepth: 100, admittedPerSecond: 90 })).toMatchObject({ status: 'up', degraded: 'queue_saturated' });
  });

  it('is down with a full queue while less than 90% of the target rate is admitted, naming the engine slots in use', () => {
    expect(check({ queueDepth: 100, admittedPerSecond: 89.9, inFlight: 32 })).toMatchObject({
      status: 'down',
      message: 'the admission queue is 100% full (100 of 100) with 89.9 req/s admitted of the target 100 (engine slots in use: 32 of 32): the model serves below its target and refuses the rest',
    });
  });

  it('takes a queue of size 0 as never saturated (refusals are then immediate and counted in throttled_total)', () => {
    expect(check({ queueCapacity: 0, queueDepth: 0, inFlight: 32 })).toMatchObject({ status: 'up', queue_saturation: 0 });
  });
});
