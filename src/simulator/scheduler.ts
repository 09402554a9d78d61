/**
 * The latency and capacity model of one simulated engine.
 *
 * - At most maxNumSeqs requests run at once; the rest wait FIFO in a queue bounded by
 *   profile.maxWaiting (our bound: vLLM's queue is unbounded). Past it, submit() refuses.
 * - Time to first token = ttftBaseMs + prefillMsPerToken × prompt tokens (+ time spent waiting,
 *   + an injected slow-start delay); inter-token latency = itlBaseMs + itlMsPerRunningSeq ×
 *   (running − 1), measured at each step. Delays are divided by `speed`; `instant` makes them zero
 *   but still yields to the event loop (setImmediate) between tokens.
 * - One timer per running request, never a busy loop. A request can be aborted in any phase.
 * - A request with n choices occupies one slot and advances all its choices together (vLLM V1 fans
 *   n out into n engine requests; one slot keeps the capacity model simple).
 */
import type { FinishReason } from './text-generator';
import type { EngineGaugeSource, SimModelMetrics } from './metrics';
import type { SimulatorModel, SimulatorStats } from './types';

export interface JobSpec {
  promptTokens: number;
  /** Token steps of each choice (>= 1 each). */
  choiceSteps: readonly number[];
  /** Finish reason of each choice, for vllm:request_success_total. */
  finishReasons: readonly FinishReason[];
  /** Added to the time to first token, not scaled by speed (the slow-<ms> fault). */
  extraTtftMs: number;
}

export interface JobHandlers {
  /**
   * Token step `step` (0-based) of every choice still going is ready. Return false when the consumer
   * cannot take more for now (socket backpressure): the job pauses until Scheduler.resume(job).
   * The handler may abort the job from here.
   */
  onStep(step: number): boolean;
  /** All steps were delivered. */
  onDone(): void;
}

type JobState = 'waiting' | 'running' | 'done' | 'aborted';

export class Job {
  state: JobState = 'waiting';
  /** Next step to release. */
  step = 0;
  readonly steps: number;
  readonly arrival = performance.now();
  lastTokenAt = 0;
  paused = false;
  /** KV-cache tokens this job holds while running. */
  kvTokens = 0;
  timeout: NodeJS.Timeout | null = null;
  immediate: NodeJS.Immediate | null = null;

  constructor(
    readonly spec: JobSpec,
    readonly handlers: JobHandlers,
  ) {
    this.steps = spec.choiceSteps.reduce((m, n) => Math.max(m, n), 0);
  }

  clearTimer(): void {
    if (this.timeout) clearTimeout(this.timeout);
    if (this.immediate) clearImmediate(this.immediate);
    this.timeout = null;
    this.immediate = null;
  }
}

export interface SchedulerTiming {
  speed: number;
  instant: boolean;
}

export class Scheduler implements EngineGaugeSource {
  private readonly runningJobs = new Set<Job>();
  /** Insertion-ordered: the first entry is the oldest. */
  private readonly waitingJobs = new Set<Job>();
  private kvInUse = 0;
  private readonly kvCapacity: number;
  private completedCount = 0;
  private abortedCount = 0;

  constructor(
    readonly model: SimulatorModel,
    private readonly timing: SchedulerTiming,
    private readonly metrics: SimModelMetrics,
  ) {
    this.kvCapacity = Math.max(1, model.kvCacheTokens ?? model.maxNumSeqs * model.maxModelLen);
  }

  /** Starts or queues a job; null when the waiting queue is full. */
  submit(spec: JobSpec, handlers: JobHandlers): Job | null {
    const job = new Job(spec, handlers);
    if (this.runningJobs.size < this.model.maxNumSeqs && this.waitingJobs.size === 0) {
      this.start(job);
      return job;
    }
    if (this.waitingJobs.size >= this.model.profile.maxWaiting) return null;
    this.waitingJobs.add(job);
    return job;
  }

  /** Aborts a job in any phase: it leaves the queue or the running set and its timer is cleared. */
  abort(job: Job): void {
    if (job.state === 'waiting') {
      this.waitingJobs.delete(job);
    } else if (job.state === 'running') {
      job.clearTimer();
      this.runningJobs.delete(job);
      this.kvInUse -= job.kvTokens;
    } else {
      return;
    }
    job.state = 'aborted';
    this.abortedCount += 1;
    this.metrics.finished('abort');
    this.promote();
  }

  /** Continues a job paused by backpressure. */
  resume(job: Job): void {
    if (job.state !== 'running' || !job.paused) return;
    job.paused = false;
    this.schedule(job, this.interTokenDelayMs());
  }

  /** Drops every job without callbacks and clears every timer. */
  shutdown(): void {
    for (const job of this.runningJobs) {
      job.clearTimer();
      job.state = 'aborted';
    }
    for (const job of this.waitingJobs) job.state = 'aborted';
    this.runningJobs.clear();
    this.waitingJobs.clear();
    this.kvInUse = 0;
  }

  running(): number {
    return this.runningJobs.size;
  }

  waiting(): number {
    return this.waitingJobs.size;
  }

  kvCacheUsage(): number {
    return Math.min(1, Math.max(0, this.kvInUse / this.kvCapacity));
  }

  stats(): SimulatorStats {
    return {
      running: this.runningJobs.size,
      waiting: this.waitingJobs.size,
      completed: this.completedCount,
      aborted: this.abortedCount,
    };
  }

  private start(job: Job): void {
    job.state = 'running';
    this.runningJobs.add(job);
    this.metrics.queueTime((performance.now() - job.arrival) / 1000);
    job.kvTokens = job.spec.promptTokens;
    this.kvInUse += job.kvTokens;
    const p = this.model.profile;
    const prefill = this.scaled(p.ttftBaseMs + p.prefillMsPerToken * job.spec.promptTokens);
    this.schedule(job, prefill + Math.max(0, job.spec.extraTtftMs));
  }

  private promote(): void {
    while (this.runningJobs.size < this.model.maxNumSeqs && this.waitingJobs.size > 0) {
      const next = this.waitingJobs.values().next().value as Job;
      this.waitingJobs.delete(next);
      this.start(next);
    }
  }

  private scaled(ms: number): number {
    return this.timing.instant ? 0 : ms / this.timing.speed;
  }

  private interTokenDelayMs(): number {
    const p = this.model.profile;
    return this.scaled(p.itlBaseMs + p.itlMsPerRunningSeq * Math.max(0, this.runningJobs.size - 1));
  }

  private schedule(job: Job, delayMs: number): void {
    if (delayMs > 0) {
      job.timeout = setTimeout(() => this.advance(job), delayMs);
    } else {
      job.immediate = setImmediate(() => this.advance(job));
    }
  }

  private advance(job: Job): void {
    job.timeout = null;
    job.immediate = null;
    if (job.state !== 'running') return;
    const now = performance.now();
    const step = job.step;
    if (step === 0) {
      this.metrics.timeToFirstToken((now - job.arrival) / 1000);
      this.metrics.promptTokens(job.spec.promptTokens);
    } else {
      this.metrics.interTokenLatency((now - job.lastTokenAt) / 1000);
    }
    job.lastTokenAt = now;
    let active = 0;
    for (const n of job.spec.choiceSteps) if (n > step) active += 1;
    this.metrics.generationTokens(active);
    job.kvTokens += active;
    this.kvInUse += active;
    job.step = step + 1;

    const canContinue = job.handlers.onStep(step);
    if (job.state !== 'running') return; // aborted by the handler
    if (job.step >= job.steps) {
      this.finish(job);
      return;
    }
    if (!canContinue) {
      job.paused = true;
      return;
    }
    this.schedule(job, this.interTokenDelayMs());
  }

  private finish(job: Job): void {
    job.state = 'done';
    this.runningJobs.delete(job);
    this.kvInUse -= job.kvTokens;
    this.completedCount += 1;
    this.metrics.e2eLatency((performance.now() - job.arrival) / 1000);
    for (const reason of job.spec.finishReasons) this.metrics.finished(reason);
    job.handlers.onDone();
    this.promote();
  }
}
