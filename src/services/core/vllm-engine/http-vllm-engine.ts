import { Logger } from '@nestjs/common';
import { EngineFailure, classifyTransportError } from './engine-failure';
import { Replica, ReplicaTimeouts } from './replica';
import { EngineCall, EngineReply, UpstreamState, VllmEngine } from './vllm-engine';

export interface HttpVllmEngineOptions {
  /** Used in log lines and errors. */
  model: string;
  urls: string[];
  timeouts: ReplicaTimeouts;
  /** Seconds between /health probes of every replica (0: no background probing). */
  healthCheckIntervalSeconds: number;
  /** Connections per replica pool. */
  connections?: number;
}

/**
 * VllmEngine over HTTP with undici: a pool per replica, the healthy replica with the fewest
 * requests in flight first, replicas marked down on connection errors and failed probes and
 * back up when a probe passes.
 */
export class HttpVllmEngine extends VllmEngine {
  private readonly logger: Logger;
  private readonly replicas: Replica[];
  private readonly timer?: NodeJS.Timeout;
  private lastProgressAt = Date.now();
  private closed = false;

  constructor(private readonly options: HttpVllmEngineOptions) {
    super();
    this.logger = new Logger(`VllmEngine:${options.model}`);
    this.replicas = options.urls.map((url) => new Replica(url.replace(/\/+$/, ''), options.timeouts, options.connections ?? 256));
    if (options.healthCheckIntervalSeconds > 0) {
      this.timer = setInterval(() => void this.probe(), options.healthCheckIntervalSeconds * 1000);
      this.timer.unref();
    }
  }

  async call(call: EngineCall): Promise<EngineReply> {
    const replica = this.pick();
    if (!replica) {
      throw new EngineFailure('unavailable', `no engine for ${this.options.model} is up`);
    }
    replica.inFlight++;
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
      });
      this.lastProgressAt = Date.now();
      replica.markUp();
      const body = response.body;
      body.once('close', release);
      const type = response.headers['content-type'];
      return { status: response.statusCode, contentType: Array.isArray(type) ? type[0] : (type ?? ''), body, upstream: replica.url, progress: this.onProgress };
    } catch (error) {
      release();
      const failure = classifyTransportError(error, replica.url);
      if (failure.kind === 'connect' || failure.kind === 'reset') {
        if (replica.up) this.logger.warn(`replica ${replica.url} marked down: ${failure.message}`);
        replica.markDown(failure.message);
      }
      throw failure;
    }
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

  private readonly onProgress = (): void => {
    this.lastProgressAt = Date.now();
  };

  /** The healthy replica with the fewest requests in flight. */
  private pick(): Replica | undefined {
    let best: Replica | undefined;
    for (const r of this.replicas) {
      if (r.up && (!best || r.inFlight < best.inFlight)) best = r;
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
