import { ModelServiceConfig } from '../../config/model-config';
import { ModelMetrics } from '../../monitoring/model-metrics';
import { EfficiencyView } from '../../monitoring/model-series';
import { ThrottleState } from '../../monitoring/health/throttle.health';
import { Clock, monotonicMs } from '../../common/clock';
import { Release } from '../../common/release';
import { RateWindow } from '../../monitoring/recent-window';
import { TokenBucket } from './token-bucket';

/** Why a request was refused: no token and no queue, no slot and no queue, a full queue, a wait too long. */
export type ThrottleReason = 'rate_limit' | 'concurrency' | 'queue_full' | 'queue_timeout';
export const THROTTLE_REASONS: readonly ThrottleReason[] = ['rate_limit', 'concurrency', 'queue_full', 'queue_timeout'];

/** A request the throttle refused; the caller answers 429 with Retry-After. */
export class Throttled extends Error {
  constructor(
    readonly reason: ThrottleReason,
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(message);
    this.name = 'Throttled';
  }
}

/** A queued request whose wait was abandoned (its signal aborted: the client left). */
export class QueueAbandoned extends Error {
  constructor(cause: unknown) {
    super('the request left the admission queue before it was admitted', { cause });
    this.name = 'QueueAbandoned';
  }
}

interface Waiter {
  resolve(release: Release): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** One optimisation: whether it is applied now, and its settings. */
export interface Optimization {
  active: boolean;
  [setting: string]: unknown;
}

/**
 * The efficiency manager (seed 1.5, Phi-3-Mini): when `efficiency.efficiency_mode` is on, every
 * request passes a token bucket (`max_throughput_rps`, `burst`) and a concurrency cap
 * (`model.max_num_seqs`, what vLLM runs at once); a request that finds neither free waits in a
 * bounded FIFO queue (`queue_size`) for at most `queue_timeout_ms`. Beyond them: Throttled
 * (429 with Retry-After). A waiting request whose client leaves is taken out of the queue.
 * With efficiency_mode off it only counts (rates, in flight) and admits everything.
 */
export class EfficiencyManager {
  private readonly bucket: TokenBucket;
  private readonly queue: Waiter[] = [];
  private readonly admittedRate: RateWindow;
  private active = 0;
  private pumpTimer?: NodeJS.Timeout;
  private cachedView?: { at: number; view: EfficiencyView };
  admittedTotal = 0;
  readonly throttled: Record<ThrottleReason, number> = { rate_limit: 0, concurrency: 0, queue_full: 0, queue_timeout: 0 };

  constructor(
    private readonly config: ModelServiceConfig,
    private readonly metrics: ModelMetrics,
    private readonly clock: Clock = monotonicMs,
  ) {
    if (!config.efficiency) throw new Error(`${config.id}: the efficiency manager needs an efficiency section`);
    this.bucket = new TokenBucket(this.rateLimitRps, this.burst, clock);
    this.admittedRate = new RateWindow(10, clock);
    metrics.watchEfficiency(() => this.view());
  }

  // The settings are read live: a configuration reload (SIGHUP) changes them in place.

  get enabled(): boolean {
    return this.config.efficiency!.efficiency_mode;
  }

  get rateLimitRps(): number {
    return this.config.efficiency!.max_throughput_rps;
  }

  get burst(): number {
    return this.config.efficiency!.burst;
  }

  /** What vLLM runs at once (model.max_num_seqs): more would only wait in the engine. */
  get maxConcurrency(): number {
    return this.config.model.max_num_seqs;
  }

  get queueSize(): number {
    return this.config.efficiency!.queue_size;
  }

  get queueTimeoutMs(): number {
    return this.config.efficiency!.queue_timeout_ms;
  }

  /** Admitted requests not yet released. */
  get inFlight(): number {
    return this.active;
  }

  /** Requests waiting in the queue now. */
  get queueDepth(): number {
    return this.queue.length;
  }

  get throttledTotal(): number {
    return THROTTLE_REASONS.reduce((n, r) => n + this.throttled[r], 0);
  }

  /** Admitted requests per second over the last 10 s. */
  currentRps(): number {
    return this.admittedRate.perSecond();
  }

  /**
   * Admits a request now (a Release), later (a promise, from the queue) or not (throws Throttled;
   * a queued request rejects with Throttled on timeout, QueueAbandoned when `signal` aborts).
   */
  acquire(signal?: AbortSignal): Release | Promise<Release> {
    if (!this.enabled) return this.grant();
    this.bucket.setLimits(this.rateLimitRps, this.burst);
    if (this.queue.length === 0 && this.active < this.maxConcurrency && this.bucket.take()) return this.grant();
    if (this.queue.length >= this.queueSize) {
      const reason: ThrottleReason = this.queueSize > 0 ? 'queue_full' : this.active >= this.maxConcurrency ? 'concurrency' : 'rate_limit';
      throw this.refuse(reason);
    }
    if (signal?.aborted) throw new QueueAbandoned(signal.reason);
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, timer: setTimeout(() => this.expire(waiter), this.queueTimeoutMs) };
      if (signal) {
        waiter.onAbort = () => this.abandon(waiter);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.schedulePump();
    });
  }

  /** What is applied now (seed: `EfficiencyManager().get_optimization_status()`). */
  getOptimizationStatus() {
    const e = this.config.efficiency!;
    const on = this.enabled;
    const optimizations: Record<string, Optimization> = {
      rate_limit: { active: on, max_throughput_rps: this.rateLimitRps, burst: this.burst },
      concurrency_cap: { active: on, max_concurrency: this.maxConcurrency, source: 'model.max_num_seqs' },
      admission_queue: { active: on && this.queueSize > 0, queue_size: this.queueSize, queue_timeout_ms: this.queueTimeoutMs },
      resource_monitoring: { active: e.resource_monitoring, reports: 'throughput per core and per GB, engine memory and CPU' },
      memory_optimization: { active: false, configured: e.memory_optimization, note: 'no effect in the server; vLLM memory settings come from the model section' },
      cpu_optimization: { active: false, configured: e.cpu_optimization, note: 'no effect in the server; CPU limits come from performance.cpu_cores (systemd)' },
    };
    const active = Object.entries(optimizations)
      .filter(([, o]) => o.active)
      .map(([name]) => name);
    return { efficiency_mode: on, status: on ? 'active' : 'inactive', active_optimizations: active, optimizations };
  }

  /** What the throttle's health indicator judges, read now (not the gauges' cached view). */
  throttleState(): ThrottleState {
    return {
      efficiencyMode: this.enabled,
      queueDepth: this.queue.length,
      queueCapacity: this.queueSize,
      inFlight: this.active,
      maxConcurrency: this.maxConcurrency,
      admittedPerSecond: this.currentRps(),
      limitRps: this.rateLimitRps,
    };
  }

  /** The efficiency figures the /efficiency report and the Prometheus gauges show. */
  view(): EfficiencyView {
    const now = this.clock();
    if (this.cachedView && now - this.cachedView.at < 250) return this.cachedView.view;
    const { cpu_cores: cores, memory_limit_gb: gb } = this.config.performance;
    const rps = this.currentRps();
    const tps = this.metrics.rates().tokensPerSecond;
    const latency = this.metrics.latency();
    const status = this.getOptimizationStatus();
    const view: EfficiencyView = {
      efficiencyMode: this.enabled,
      optimizations: Object.fromEntries(Object.entries(status.optimizations).map(([name, o]) => [name, o.active])),
      limitRps: this.rateLimitRps,
      burst: this.burst,
      maxConcurrency: this.maxConcurrency,
      queueCapacity: this.queueSize,
      admittedPerSecond: rps,
      inFlight: this.active,
      queueDepth: this.queue.length,
      tokensPerSecond: tps,
      latencyP50Seconds: latency.p50,
      latencyP95Seconds: latency.p95,
      requestsPerSecondPerCore: rps / cores,
      tokensPerSecondPerCore: tps / cores,
      requestsPerSecondPerGb: rps / gb,
      tokensPerSecondPerGb: tps / gb,
    };
    this.cachedView = { at: now, view };
    return view;
  }

  /** Rejects every waiting request (the service is stopping). */
  close(): void {
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    for (const waiter of this.queue.splice(0)) {
      this.settle(waiter);
      waiter.reject(new Throttled('queue_timeout', 1, 'The service is stopping; the request was not admitted.'));
    }
  }

  private grant(): Release {
    this.active++;
    this.admittedTotal++;
    this.admittedRate.add();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      if (this.queue.length > 0) this.pump();
    };
  }

  /** Admits from the head of the queue while tokens and slots allow; then waits for the next token. */
  private readonly pump = (): void => {
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    this.bucket.setLimits(this.rateLimitRps, this.burst);
    while (this.queue.length > 0 && this.active < this.maxConcurrency && this.bucket.take()) {
      const waiter = this.queue.shift()!;
      this.settle(waiter);
      waiter.resolve(this.grant());
    }
    this.schedulePump();
  };

  private schedulePump(): void {
    // No slot: a release pumps. A pump already due: nothing to add.
    if (this.pumpTimer || this.queue.length === 0 || this.active >= this.maxConcurrency) return;
    this.pumpTimer = setTimeout(this.pump, Math.max(1, Math.ceil(this.bucket.msUntilToken())));
  }

  private expire(waiter: Waiter): void {
    if (!this.remove(waiter)) return;
    this.settle(waiter);
    waiter.reject(this.refuse('queue_timeout'));
  }

  private abandon(waiter: Waiter): void {
    if (!this.remove(waiter)) return;
    this.settle(waiter);
    waiter.reject(new QueueAbandoned(waiter.signal?.reason));
    // The head may have changed: let the next one in if it can go.
    this.schedulePump();
  }

  private remove(waiter: Waiter): boolean {
    const at = this.queue.indexOf(waiter);
    if (at === -1) return false;
    this.queue.splice(at, 1);
    return true;
  }

  private settle(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.signal!.removeEventListener('abort', waiter.onAbort);
  }

  private refuse(reason: ThrottleReason): Throttled {
    this.throttled[reason]++;
    this.metrics.throttled('efficiency', reason);
    // Roughly when a place frees up: the queue ahead of it drains at the token rate.
    const retryAfter = Math.max(1, Math.ceil((this.queue.length + 1) / this.rateLimitRps));
    const why: Record<ThrottleReason, string> = {
      rate_limit: `more than ${this.rateLimitRps} requests per second`,
      concurrency: `${this.maxConcurrency} requests already in progress`,
      queue_full: `the admission queue is full (${this.queueSize} waiting)`,
      queue_timeout: `no slot within ${this.queueTimeoutMs} ms`,
    };
    return new Throttled(reason, retryAfter, `${this.config.id} is throttled for efficiency: ${why[reason]}; retry after ${retryAfter} s.`);
  }
}
