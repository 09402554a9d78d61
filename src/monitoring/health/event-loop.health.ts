import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { EventLoopLag } from '../event-loop-lag';

/** Event-loop delay above this makes every model of the process unhealthy (requests and streams stall with it). */
export const EVENT_LOOP_LAG_LIMIT_MS = 1_000;

/** The event loop: the worst delay of the last seconds, against EVENT_LOOP_LAG_LIMIT_MS. */
@Injectable()
export class EventLoopHealthIndicator {
  constructor(private readonly health: HealthIndicatorService) {}

  check(lag = EventLoopLag.get().lagMs(), limitMs = EVENT_LOOP_LAG_LIMIT_MS) {
    const indicator = this.health.check('event_loop');
    const details = { max_lag_ms: round(lag.max), p50_lag_ms: round(lag.p50), limit_ms: limitMs };
    if (lag.max > limitMs) return indicator.down({ ...details, message: `the event loop was blocked for ${round(lag.max)} ms` });
    return indicator.up(details);
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
