import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';

/** What the throttle's health is judged on, read from the efficiency manager at one moment. */
export interface ThrottleState {
  efficiencyMode: boolean;
  queueDepth: number;
  queueCapacity: number;
  inFlight: number;
  maxConcurrency: number;
  /** Admitted requests per second over the last 10 s. */
  admittedPerSecond: number;
  /** The target: `efficiency.max_throughput_rps`. */
  limitRps: number;
}

/**
 * A heuristic: from this share of the admission queue in use, the throttle is degraded (requests
 * wait, and refusals are close).
 */
export const QUEUE_SATURATION_DEGRADED = 0.8;
/** A heuristic: a full queue with fewer admissions than this share of the target means the engine, not the rate limit, holds requests back. */
export const ADMITTED_RATE_SHORTFALL = 0.9;

/** The degraded state a nearly full (or full, at the target rate) admission queue puts the throttle in. */
export const QUEUE_SATURATED = 'queue_saturated';

/**
 * Phi-3-Mini's throttle (seed 1.5): queue saturation, and the admitted rate against the target.
 * - up: the queue has room (or efficiency_mode is off: nothing is throttled);
 * - up, degraded (`queue_saturated`): the queue is at least 80% full, or full while the target
 *   rate is admitted: clients offer more than the target, and the excess gets 429 — the
 *   throttle doing its job, with nothing to spare;
 * - down: the queue is full while fewer than 90% of the target rate are admitted (over the last
 *   10 s): every engine slot is held by slower requests, so the model serves below its target
 *   and refuses what it should have served.
 */
@Injectable()
export class ThrottleHealthIndicator {
  constructor(private readonly health: HealthIndicatorService) {}

  check(state: ThrottleState) {
    const indicator = this.health.check('throttle');
    const saturation = state.queueCapacity > 0 ? state.queueDepth / state.queueCapacity : 0;
    const rateRatio = state.limitRps > 0 ? state.admittedPerSecond / state.limitRps : 0;
    const details = {
      efficiency_mode: state.efficiencyMode,
      queue_depth: state.queueDepth,
      queue_size: state.queueCapacity,
      queue_saturation: round(saturation),
      in_flight: state.inFlight,
      max_concurrency: state.maxConcurrency,
      admitted_rps: round(state.admittedPerSecond),
      target_rps: state.limitRps,
      admitted_rate_ratio: round(rateRatio),
    };
    if (!state.efficiencyMode) return indicator.up(details);
    const rates = `${round(state.admittedPerSecond)} req/s admitted of the target ${state.limitRps}`;
    const queue = `the admission queue is ${Math.round(100 * saturation)}% full (${state.queueDepth} of ${state.queueCapacity})`;
    if (saturation >= 1 && rateRatio < ADMITTED_RATE_SHORTFALL) {
      return indicator.down({ ...details, message: `${queue} with ${rates} (engine slots in use: ${state.inFlight} of ${state.maxConcurrency}): the model serves below its target and refuses the rest` });
    }
    if (saturation >= QUEUE_SATURATION_DEGRADED) {
      return indicator.up({ ...details, degraded: QUEUE_SATURATED, message: `${queue} at ${rates}: requests beyond it get 429` });
    }
    return indicator.up(details);
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
