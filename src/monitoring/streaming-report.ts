import { ModelMetrics } from './model-metrics';

/** /metrics/streaming as JSON (seed 1.4): streams, their outcomes, timings, volume, and the stream cap. */
export function streamingReport(metrics: ModelMetrics) {
  const s = metrics.series.stream;
  const cap = metrics.series.streamCap?.();
  return {
    model: metrics.model,
    timestamp: new Date().toISOString(),
    active_streams: s.active,
    streams: { started: s.started, ...s.ended },
    time_to_first_token_seconds: s.ttft.toJSON(),
    inter_chunk_gap_seconds: s.gap.toJSON(),
    chunks_relayed: s.chunks,
    bytes_relayed: s.bytes,
    ...(cap ? { concurrent_users: cap.cap, cap_rejections: cap.rejected } : {}),
  };
}
