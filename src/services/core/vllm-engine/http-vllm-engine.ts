import { Logger } from '@nestjs/common';
import { CircuitBreakerOptions } from './circuit-breaker';
import { EngineFailure, classifyTransportError } from './engine-failure';
import { discardBody } from './read-body';
import { Replica, ReplicaTimeouts } from './replica';
import { RetryBudget, RetryOptions, backoffDelay, isRetryableStatus, sleep } from './retry-policy';
import { EngineCall, EngineReply, EngineSettings, UpstreamState, VllmEngine } from './vllm-engine';

export interface HttpVllmEngineOptions extends EngineSettings {
  /** Used in log lines and errors. */
  model: string;
  timeouts: ReplicaTimeouts & { firstTokenMs: number };
  retry: RetryOptions;
  breaker: CircuitBreakerOptions;
  /** Seconds between /health probes of every replica (0: no background probing). */
  healthCheckIntervalSeconds: number;
  /** Connections per replica pool. */
  connections?: number;
}

/**
 * VllmEngine over HTTP with undici: a pool per replica; the available replica (health probes
 * pass, circuit closed) with the fewest requests in flight first; retries, on another replica
 * when there is one, for failures that happened before any answer existed (connection refused
 * or reset, 429/502/503), within a retry budget and with jittered backoff.
 */
export class HttpVllmEngine extends VllmEngine {
  private readonly logger: Logger;
  private replicas: Replica[];
  private budget: RetryBudget;
  private readonly timer?: NodeJS.Timeout;
  private lastProgressAt = Date.now();
  private closed = false;

  constructor(private options: HttpVllmEngineOptions) {
    super();
    this.logger = new Logger(`VllmEngine:${options.model}`);
    this.replicas = options.urls.map((url) => this.replicaFor(url));
    this.budget = new RetryBudget(options.retry.budgetRatio);
    if (options.healthCheckIntervalSeconds > 0) {
      this.timer = setInterval(() => void this.probe(), options.healthCheckIntervalSeconds * 1000);
      this.timer.unref();
    }
  }

  async call(call: EngineCall): Promise<EngineReply> {
    this.budget.deposit();
    const tried = new Set<Replica>();
    let lastFailure: EngineFailure | undefined;
    for (let attempt = 0; ; attempt++) {
      // Another replica than the ones that failed, when there is one.
      const replica = this.pick(tried) ?? this.pick();
      if (!replica) throw lastFailure ?? new EngineFailure('unavailable', `no engine for ${this.options.model} is up`);
      tried.add(replica);
      const outcome = await this.attempt(replica, call);
      const failed = outcome instanceof EngineFailure;
      const retryable = failed ? outcome.kind === 'connect' || outcome.kind === 'reset' : isRetryableStatus(outcome.status);
      // Retry only when another attempt can be made now; otherwise the client gets this outcome,
      // an engine's own error answer included.
      const retry = retryable && attempt + 1 < this.options.retry.maxAttempts && (this.pick(tried) ?? this.pick()) !== undefined && this.budget.withdraw();
      if (!retry) {
        if (failed) throw outcome;
        return outcome;
      }
      if (failed) {
        lastFailure = outcome;
      } else {
        // Nothing was generated for this answer: drop it and try again.
        discardBody(outcome.body);
        lastFailure = new EngineFailure('reset', `the engine answered ${outcome.status}`, replica.url);
      }
      await sleep(backoffDelay(attempt, this.options.retry), call.signal).catch(() => {
        throw new EngineFailure('aborted', 'the request was aborted', replica.url);
      });
    }
  }

  /**
   * New settings from a reloaded config. Replicas that stay keep their pools and state; removed
   * ones are closed once their requests have finished; timeouts apply to the next requests
   * (connect and idle timeouts to new replicas' pools).
   */
  override reconfigure(settings: EngineSettings): void {
    this.options = { ...this.options, ...settings };
    this.budget = new RetryBudget(settings.retry.budgetRatio);
    const wanted = settings.urls.map((u) => u.replace(/\/+$/, ''));
    const kept = this.replicas.filter((r) => wanted.includes(r.url));
    for (const gone of this.replicas.filter((r) => !wanted.includes(r.url))) void gone.pool.close().catch(() => undefined);
    this.replicas = [...kept, ...wanted.filter((u) => !kept.some((r) => r.url === u)).map((u) => this.replicaFor(u))];
    this.logger.log(`reconfigured: replicas ${this.replicas.map((r) => r.url).join(', ')}`);
  }

  private replicaFor(url: string): Replica {
    return new Replica(url.replace(/\/+$/, ''), this.options.timeouts, this.options.connections ?? 256, this.options.breaker);
  }

  upstreams(): UpstreamState[] {
    return this.replicas.map((r) => r.state());
  }

  activity(): { inFlight: number; lastProgressAt: number } {
    return { inFlight: this.replicas.reduce((n, r) => n + r.inFlight, 0), lastProgressAt: this.lastProgressAt };
  }

  async probe(): Promise<boolean> {
    await Promise.all(this.replicas.map((r) => this.probeOne(r)));
    return this.replicas.some((r) => r.up);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.replicas.map((r) => r.pool.destroy()));
  }

  /** One request to one replica: its reply, or why there was none. */
  private async attempt(replica: Replica, call: EngineCall): Promise<EngineReply | EngineFailure> {
    replica.inFlight++;
    replica.breaker.begin();
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        replica.inFlight--;
      }
    };
    try {
      const response = await replica.pool.request({
        method: call.method,
        path: call.path,
        body: call.body,
        headers: call.body === undefined ? undefined : { 'content-type': 'application/json' },
        signal: call.signal,
        headersTimeout: call.stream ? this.options.timeouts.firstTokenMs : this.options.timeouts.firstByteMs,
      });
      this.lastProgressAt = Date.now();
      replica.markUp();
      if (response.statusCode >= 500) replica.breaker.failure();
      else replica.breaker.success();
      const body = response.body;
      body.once('close', release);
      const type = response.headers['content-type'];
      return { status: response.statusCode, contentType: Array.isArray(type) ? type[0] : (type ?? ''), body, upstream: replica.url, progress: this.onProgress };
    } catch (error) {
      release();
      const failure = classifyTransportError(error, replica.url);
      if (failure.kind === 'aborted') {
        replica.breaker.release();
      } else {
        replica.breaker.failure();
      }
      if (failure.kind === 'connect' || failure.kind === 'reset') {
        if (replica.up) this.logger.warn(`replica ${replica.url} marked down: ${failure.message}`);
        replica.markDown(failure.message);
      }
      return failure;
    }
  }

  private readonly onProgress = (): void => {
    this.lastProgressAt = Date.now();
  };

  /** The available replica with the fewest requests in flight, not among `exclude`. */
  private pick(exclude?: Set<Replica>): Replica | undefined {
    let best: Replica | undefined;
    for (const r of this.replicas) {
      if (r.available && !exclude?.has(r) && (!best || r.inFlight < best.inFlight)) best = r;
    }
    return best;
  }

  private async probeOne(replica: Replica): Promise<void> {
    if (this.closed) return;
    try {
      const res = await replica.pool.request({ method: 'GET', path: '/health', signal: AbortSignal.timeout(5_000) });
      await res.body.dump();
      if (res.statusCode === 200) {
        if (!replica.up) this.logger.log(`replica ${replica.url} is up again`);
        replica.markUp();
      } else {
        if (replica.up) this.logger.warn(`replica ${replica.url} marked down: /health answered ${res.statusCode}`);
        replica.markDown(`/health answered ${res.statusCode}`);
      }
    } catch (error) {
      const failure = classifyTransportError(error, replica.url);
      if (replica.up) this.logger.warn(`replica ${replica.url} marked down: ${failure.message}`);
      replica.markDown(failure.message);
    }
  }
}
