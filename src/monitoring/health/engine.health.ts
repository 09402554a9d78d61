import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { MonitoredModel } from '../monitored-model';
import { engineStall } from '../engine-stall';

/** The degraded state an open (or half-open) circuit puts a model in: it serves, with less. */
export const CIRCUIT_OPEN = 'circuit_open';

/**
 * The engine: at least one replica up (its /health, probed every health_check_interval, and
 * the outcome of real calls), and not stalled. vLLM's /health can answer 200 while its engine
 * hangs, so requests in flight with no byte from the engine for stall_timeout_seconds make the
 * engine unhealthy too.
 *
 * A replica whose circuit breaker is open or half-open leaves the check up (the model still
 * serves: on the other replicas, or on that one when it is all there is and answers its probes)
 * but marks it degraded (`degraded: "circuit_open"`), naming the replicas and why.
 */
@Injectable()
export class EngineHealthIndicator {
  constructor(private readonly health: HealthIndicatorService) {}

  check(model: MonitoredModel, now = Date.now()) {
    const indicator = this.health.check('engine');
    const upstreams = model.engine.upstreams();
    const stall = engineStall(model, now);
    const details = {
      mode: model.config.engine.mode,
      upstreams,
      in_flight: stall.inFlight,
      last_progress: new Date(stall.progressAt).toISOString(),
      stall_timeout_seconds: stall.stallTimeoutSeconds,
    };
    if (!upstreams.some((u) => u.up)) {
      const reasons = upstreams.map((u) => `${u.url}: ${u.lastError ?? 'down'}`).join('; ') || 'no engine configured';
      return indicator.down({ ...details, message: `no engine replica is up (${reasons})` });
    }
    const tripped = upstreams.filter((u) => u.circuit === 'open' || u.circuit === 'half_open');
    if (tripped.length > 0 && !stall.stalled) {
      const which = tripped.map((u) => `${u.url} (${u.circuit}${u.lastFailure ? `, last failure: ${u.lastFailure}` : ''})`).join('; ');
      return indicator.up({ ...details, degraded: CIRCUIT_OPEN, message: `circuit breaker open for ${tripped.length} of ${upstreams.length} replica(s): ${which}` });
    }
    if (stall.stalled) {
      return indicator.down({ ...details, stalled: true, message: `stalled: ${stall.inFlight} request(s) in flight and no byte from the engine for ${Math.round(stall.silentMs / 1000)} s` });
    }
    return indicator.up(details);
  }
}
