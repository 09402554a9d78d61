import { MonitoredModel } from './monitored-model';

/**
 * Whether a model's engine is stalled: requests in flight and no byte from the engine for
 * monitoring.stall_timeout_seconds (vLLM's /health may still answer 200). The silence counts
 * from the engine's last byte, or from when the model went busy if that is later: a request
 * that has just started has had no chance to get a byte yet.
 */
export function engineStall(model: MonitoredModel, now = Date.now()) {
  const { inFlight, lastProgressAt } = model.engine.activity();
  const stallTimeoutSeconds = model.config.monitoring.stall_timeout_seconds;
  const progressAt = Math.max(lastProgressAt, model.metrics.series.busySince);
  const silentMs = inFlight > 0 ? now - progressAt : 0;
  return { stalled: inFlight > 0 && silentMs > stallTimeoutSeconds * 1000, inFlight, progressAt, silentMs, stallTimeoutSeconds };
}
