import { Logger } from '@nestjs/common';
import type { buildConnector } from 'undici';
import { MetricsRegistry } from '../../../monitoring/metrics-registry';
import { CircuitBreakerOptions } from './circuit-breaker';
import { EngineFailure, classifyTransportError, localResourceError } from './engine-failure';
import { discardBody } from './read-body';
import { Replica, ReplicaTimeouts } from './replica';
import { RetryBudget, RetryOptions, backoffDelay, isRetryableStatus, relayedHeaders, retryAfterMs, sleep } from './retry-policy';
import { EngineCall, EngineMetricsText, EngineReply, EngineSettings, ReportedHealth, UpstreamState, VllmEngine } from './vllm-engine';

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
  /** Opens sockets to engines; undici's own by default (tests wrap it to inject socket errors). */
  connector?: (url: string) => buildConnector.connector;
  /**
   * Sent as `Authorization: Bearer <key>` on every call and probe: an engine started with
   * `--api-key`, or a model service with API keys when the gateway reaches it over HTTP.
   */
  apiKey?: string;
}

/** The headers of a call: JSON for a body, the request's id, and the key the upstream wants. */
function callHeaders(call: EngineCall, authorization: string | undefined): Record<string, string> | undefined {
  if (call.body === undefined && call.requestId === undefined && authorization === undefined) return undefined;
  const headers: Record<string, string> = {};
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  if (call.requestId !== undefined) headers['x-request-id'] = call.requestId;
  if (authorization !== undefined) headers.authorization = authorization;
  return headers;
}

/**
 * Answers that are back-pressure, not a fault: 429 (too many requests) and 503 (no capacity now;
 * a Gateway API Inference Extension `InferencePool`'s gateway sheds load with both, and vLLM
 * answers 503 while it loads). The call is retried elsewhere before the first byte like any
 * retryable status, but the replica stays up and its circuit breaker does not count it: a busy
 * pool is not a dead replica, and opening its circuit would move its load onto the others.
 * Whether the replica is really down is for its /health probes to say: a 503 asks at once.
 */
export function isBackPressure(status: number): boolean {
  return status === 429 || status === 503;
}

/**
 * Down replicas are probed this often (when the configured interval is longer), so an engine
 * that comes back takes traffic within about a second rather than a whole health_check_interval
 * (like Envoy's `unhealthy_interval`). Probes are cheap GET /health calls, one per down replica.
 */
export const DOWN_PROBE_INTERVAL_MS = 1_000;

/** A replica's /metrics read gives up after this long (the next collection tries again). */
const METRICS_READ_TIMEOUT_MS = 5_000;

/**
 * How long a replica that answered 429/503 without `Retry-After` is passed over while another can
 * take the call (it keeps its state: see isBackPressure). A heuristic: about the time a loaded
 * vLLM needs to finish a few requests and free slots.
 */
const BACK_PRESSURE_MS = 1_000;
/** The most a `Retry-After` keeps a replica passed over. */
const MAX_BACK_PRESSURE_MS = 10_000;

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The most of a /health body that is read (a model service's is about 2 kB; vLLM's is empty). */
const MAX_HEALTH_BODY = 64 * 1024;

/**
 * What a replica's /health body says of itself, when it says it in the model services' shape
 * (`status`, and `failed_check`/`reason` or `degraded`): the gateway shows it beside its own
 * view. vLLM's empty body says nothing.
 */
function reportedHealth(text: string): ReportedHealth | undefined {
  if (!text.startsWith('{') || text.length > MAX_HEALTH_BODY) return undefined;
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    if (typeof body.status !== 'string') return undefined;
    const pick = (key: string) => (typeof body[key] === 'string' ? { [key]: body[key] as string } : {});
    return { status: body.status, ...pick('failed_check'), ...pick('reason'), ...pick('degraded'), ...pick('timestamp') } as ReportedHealth;
  } catch {
    return undefined;
  }
}

/** `candidate` when it has fewer requests in flight than `best` (or there is no best yet). */
function lessBusy(best: Replica | undefined, candidate: Replica): Replica {
  return !best || candidate.inFlight < best.inFlight ? candidate : best;
}

/** Local resource errors are logged at most this often per engine (a flood would repeat them per call). */
const LOCAL_ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * VllmEngine over HTTP with undici: a pool per replica; the available replica (health probes
 * pass, circuit closed) with the fewest requests in flight first; retries, on another replica
 * when there is one, for failures that happened before any answer existed (connection refused
 * or reset, 429/502/503), within a retry budget and with jittered backoff.
 *
 * The circuit breakers never leave a model with nothing to try (nginx never marks a group's last
 * server unavailable; Envoy's panic threshold routes to every host when too few are healthy):
 * when no replica is available, calls go to the replicas whose health probes pass even though
 * their circuit is open, and when probing is off (nothing but calls can tell that a replica is
 * back), to the least recently failed replica, one call at a time, as its trial.
 *
 * Errors raised in this process for lack of a resource (EMFILE, ENOBUFS, ...) are not the
 * engine's: they never mark a replica down, feed its breaker, or get retried elsewhere.
 */
export class HttpVllmEngine extends VllmEngine {
  private readonly logger: Logger;
  private replicas: Replica[];
  private budget: RetryBudget;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly probing = new Map<Replica, Promise<void>>();
  /** When a 503 last made a replica be probed out of turn. */
  private readonly probedAt = new Map<Replica, number>();
  private lastProgressAt = Date.now();
  private readonly authorization?: string;
  private lastLocalErrorLogAt = 0;
  private closed = false;

  constructor(private options: HttpVllmEngineOptions) {
    super();
    this.logger = new Logger(`VllmEngine:${options.model}`);
    this.replicas = options.urls.map((url) => this.replicaFor(url));
    this.budget = new RetryBudget(options.retry.budgetRatio);
    this.authorization = options.apiKey ? `Bearer ${options.apiKey}` : undefined;
    const intervalMs = options.healthCheckIntervalSeconds * 1000;
    if (intervalMs > 0) {
      this.timers.push(setInterval(() => void this.probe(), intervalMs));
      if (intervalMs > DOWN_PROBE_INTERVAL_MS) this.timers.push(setInterval(() => void this.probeDown(), DOWN_PROBE_INTERVAL_MS));
      for (const timer of this.timers) timer.unref();
    }
  }

  async call(call: EngineCall): Promise<EngineReply> {
    this.budget.deposit();
    const tried: Replica[] = [];
    const started = Date.now();
    let lastFailure: EngineFailure | undefined;
    const holder = call.replica === undefined ? undefined : this.replicas.find((r) => r.url === call.replica && r.up);
    if (holder) {
      // Only this replica can answer (the others would say 404): no retry elsewhere, unless it
      // could not be reached at all; then what it held is gone with it, and another replica
      // gives the answer for a missing response.
      const outcome = await this.attempt(holder, call, false);
      if (!(outcome instanceof EngineFailure)) return outcome;
      if (outcome.kind !== 'connect') throw outcome;
      tried.push(holder);
      lastFailure = outcome;
    }
    for (let attempt = 0; ; attempt++) {
      // Another replica than the ones that failed, when there is one.
      const target = this.choose(tried);
      if (!target) throw lastFailure ?? new EngineFailure('unavailable', `no engine for ${this.options.model} is up`);
      const { replica } = target;
      tried.push(replica);
      const outcome = await this.attempt(replica, call, target.trial);
      const failed = outcome instanceof EngineFailure;
      const retryable = failed ? outcome.kind === 'connect' || outcome.kind === 'reset' : isRetryableStatus(outcome.status);
      // Retry only when another attempt can be made now; otherwise the client gets this outcome,
      // an engine's own error answer included.
      // An engine (or a router in front of it) that says when to come back is honoured: we wait
      // that long when it is within max_delay_ms and the request's deadline; longer, the client
      // gets the engine's answer, Retry-After included, and paces itself.
      const askedWaitMs = failed ? undefined : retryAfterMs(outcome.headers['retry-after']);
      const deadline = started + (call.stream ? this.options.timeouts.firstTokenMs : this.options.timeouts.firstByteMs);
      const waitOk = askedWaitMs === undefined || (askedWaitMs <= this.options.retry.maxDelayMs && Date.now() + askedWaitMs < deadline);
      const retry = retryable && waitOk && attempt + 1 < this.options.retry.maxAttempts && this.choose(tried) !== undefined && this.budget.withdraw();
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
      await sleep(Math.max(askedWaitMs ?? 0, backoffDelay(attempt, this.options.retry)), call.signal).catch(() => {
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
    return new Replica(url.replace(/\/+$/, ''), this.options.timeouts, this.options.connections ?? 256, this.options.breaker, this.options.connector?.(url));
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
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all(this.replicas.map((r) => r.pool.destroy()));
  }

  /** One request to one replica: its reply, or why there was none. */
  private async attempt(replica: Replica, call: EngineCall, trial: boolean): Promise<EngineReply | EngineFailure> {
    replica.inFlight++;
    const ticket = replica.breaker.begin(trial);
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
        headers: callHeaders(call, this.authorization),
        signal: call.signal,
        headersTimeout: call.stream ? this.options.timeouts.firstTokenMs : this.options.timeouts.firstByteMs,
      });
      this.lastProgressAt = Date.now();
      replica.markUp();
      if (isBackPressure(response.statusCode)) {
        replica.breaker.release(ticket);
        replica.pressed(Math.min(MAX_BACK_PRESSURE_MS, retryAfterMs(headerValue(response.headers['retry-after'])) ?? BACK_PRESSURE_MS));
        // A 503 may also be a dead engine (vLLM's EngineDeadError, a model service whose engine is
        // down): its /health tells, asked now rather than at the next interval.
        if (response.statusCode === 503) this.probeSoon(replica);
      } else if (response.statusCode >= 500) {
        replica.breaker.failure(ticket);
        replica.failed(`the engine answered ${response.statusCode}`);
      } else {
        replica.breaker.success(ticket);
      }
      const body = response.body;
      body.once('close', release);
      const type = response.headers['content-type'];
      return {
        status: response.statusCode,
        contentType: Array.isArray(type) ? type[0] : (type ?? ''),
        headers: relayedHeaders(response.headers),
        body,
        upstream: replica.url,
        progress: this.onProgress,
      };
    } catch (error) {
      release();
      // A call whose own signal aborted ended here (the client left, the stream went idle, the
      // server is stopping): undici rejects with the signal's reason, whatever it is, and that is
      // never the engine's failure.
      const failure = call.signal?.aborted ? new EngineFailure('aborted', 'the request was aborted', replica.url) : classifyTransportError(error, replica.url);
      if (failure.kind === 'aborted' || failure.kind === 'local') {
        replica.breaker.release(ticket);
        if (failure.kind === 'local') this.localError(error, failure);
        return failure;
      }
      replica.breaker.failure(ticket);
      replica.failed(failure.message);
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

  /**
   * Where the next call goes, avoiding `tried` when another choice exists: the available replica
   * with the fewest requests in flight, one that is not pushing back (a 429/503 lately) first; else (every circuit open or its trial busy) the least busy
   * replica whose probes pass; else, only when probing is off, the least recently failed replica
   * whose trial slot is free, as its trial. Undefined: every replica is known down.
   */
  private choose(tried: readonly Replica[]): { replica: Replica; trial: boolean } | undefined {
    // One pass, no closures (this runs for every call): the least busy replica of each tier, in
    // the order above; on a tie the first in config order, as before.
    let freshUnpressed: Replica | undefined;
    let freshAvailable: Replica | undefined;
    let available: Replica | undefined;
    let freshAnswering: Replica | undefined;
    let answering: Replica | undefined;
    for (const r of this.replicas) {
      const fresh = !tried.includes(r);
      if (r.available) {
        if (fresh && !r.pressedNow()) freshUnpressed = lessBusy(freshUnpressed, r);
        if (fresh) freshAvailable = lessBusy(freshAvailable, r);
        available = lessBusy(available, r);
      }
      if (r.up) {
        if (fresh) freshAnswering = lessBusy(freshAnswering, r);
        answering = lessBusy(answering, r);
      }
    }
    const replica = freshUnpressed ?? freshAvailable ?? available ?? freshAnswering ?? answering;
    if (replica) return { replica, trial: false };
    if (this.options.healthCheckIntervalSeconds > 0) return undefined;
    let oldest: Replica | undefined;
    for (const r of this.replicas) if (r.breaker.canTry() && (!oldest || r.lastFailedAt < oldest.lastFailedAt)) oldest = r;
    return oldest && { replica: oldest, trial: true };
  }

  /** A call failed in this process, not at the engine: counted and logged, the engine keeps its state. */
  private localError(error: unknown, failure: EngineFailure): void {
    const code = localResourceError(error) ?? 'unknown';
    MetricsRegistry.get().localResourceErrors.inc({ model: this.options.model, code });
    const now = Date.now();
    if (now - this.lastLocalErrorLogAt >= LOCAL_ERROR_LOG_INTERVAL_MS) {
      this.lastLocalErrorLogAt = now;
      this.logger.error(`a call to ${failure.upstream} failed locally: ${failure.message}`);
    }
  }

  /** Probes the replicas that are down, so one that is back takes traffic soon. */
  private async probeDown(): Promise<void> {
    await Promise.all(this.replicas.filter((r) => !r.up).map((r) => this.probeOne(r)));
  }

  /** GET /metrics of every replica, at most 5 s each; a failure is reported, never a replica marked down. */
  override async readMetrics(): Promise<EngineMetricsText[]> {
    if (this.closed) return [];
    return Promise.all(
      this.replicas.map(async (replica): Promise<EngineMetricsText> => {
        try {
          const res = await replica.pool.request({ method: 'GET', path: '/metrics', signal: AbortSignal.timeout(METRICS_READ_TIMEOUT_MS) });
          const text = await res.body.text();
          return res.statusCode === 200 ? { url: replica.url, text } : { url: replica.url, error: `/metrics answered ${res.statusCode}` };
        } catch (error) {
          return { url: replica.url, error: (error as Error).message };
        }
      }),
    );
  }

  /** Probes a replica now, unless probing is off or it was probed less than a second ago (a 503 storm asks once). */
  private probeSoon(replica: Replica): void {
    if (this.closed || this.options.healthCheckIntervalSeconds <= 0) return;
    const now = Date.now();
    if (now - (this.probedAt.get(replica) ?? 0) < DOWN_PROBE_INTERVAL_MS) return;
    this.probedAt.set(replica, now);
    void this.probeOne(replica);
  }

  /** Probes one replica, joining a probe of it already under way. */
  private probeOne(replica: Replica): Promise<void> {
    let running = this.probing.get(replica);
    if (!running) {
      running = this.runProbe(replica).finally(() => this.probing.delete(replica));
      this.probing.set(replica, running);
    }
    return running;
  }

  private async runProbe(replica: Replica): Promise<void> {
    if (this.closed) return;
    const ticket = replica.breaker.probeStarted();
    try {
      const res = await replica.pool.request({ method: 'GET', path: '/health', headers: this.authorization ? { authorization: this.authorization } : undefined, signal: AbortSignal.timeout(5_000) });
      const said = reportedHealth(await res.body.text().catch(() => ''));
      replica.reported = said;
      if (res.statusCode === 200) {
        if (!replica.up) this.logger.log(`replica ${replica.url} is up again`);
        replica.markUp();
        // The engine answers again: an open circuit gets its trial now rather than after open_seconds.
        replica.breaker.probePassed(ticket);
      } else {
        const why = `/health answered ${res.statusCode}${said?.failed_check ? ` (${said.failed_check}${said.reason ? `: ${said.reason}` : ''})` : ''}`;
        if (replica.up) this.logger.warn(`replica ${replica.url} marked down: ${why}`);
        replica.failed(why);
        replica.markDown(why);
      }
    } catch (error) {
      const failure = classifyTransportError(error, replica.url);
      // A probe we could not make says nothing about the engine.
      if (failure.kind === 'local') return this.localError(error, failure);
      if (replica.up) this.logger.warn(`replica ${replica.url} marked down: ${failure.message}`);
      replica.failed(failure.message);
      replica.markDown(failure.message);
    }
  }
}
