/**
 * Samples a service's memory and CPU while a harness runs: from /proc (a pid and its children),
 * or from the service's own /metrics (Node's and Python's Prometheus clients both export
 * process_resident_memory_bytes and process_cpu_seconds_total; ours adds the engine process's
 * memory as citadel_llm_model_memory_usage_bytes in simulated and managed mode).
 */
import { request } from 'undici';
import { sampleProcesses } from './process-tree';
import { parsePrometheusText, sampleValue } from './prometheus-text';

export interface ResourceReading {
  /** performance.now() when read, ms. */
  at: number;
  rssBytes: number;
  /** Cumulative CPU seconds, when the source knows them. */
  cpuSeconds?: number;
}

export interface ResourceSource {
  /** What is measured, for the report. */
  readonly description: string;
  read(): Promise<ResourceReading | undefined>;
}

export class ProcResourceSource implements ResourceSource {
  readonly description: string;

  constructor(
    private readonly pids: number[],
    private readonly withChildren = true,
  ) {
    this.description = `/proc/${pids.join('+')}${withChildren ? ' and children' : ''}`;
  }

  async read(): Promise<ResourceReading | undefined> {
    const s = sampleProcesses(this.pids, this.withChildren);
    return s && { at: performance.now(), rssBytes: s.rssBytes, cpuSeconds: s.cpuSeconds };
  }
}

export class MetricsResourceSource implements ResourceSource {
  readonly description: string;

  constructor(
    private readonly metricsUrl: string,
    private readonly modelId: string,
    private readonly headers: Record<string, string> = {},
  ) {
    this.description = `${metricsUrl} (process_resident_memory_bytes + citadel_llm_model_memory_usage_bytes; CPU: process_cpu_seconds_total of the serving process)`;
  }

  async read(): Promise<ResourceReading | undefined> {
    try {
      const res = await request(this.metricsUrl, { headers: this.headers, headersTimeout: 5_000, bodyTimeout: 5_000 });
      const text = await res.body.text();
      if (res.statusCode !== 200) return undefined;
      const samples = parsePrometheusText(text);
      const own = sampleValue(samples, 'process_resident_memory_bytes');
      const engine = sampleValue(samples, 'citadel_llm_model_memory_usage_bytes', { model: this.modelId });
      if (own === undefined && engine === undefined) return undefined;
      return { at: performance.now(), rssBytes: (own ?? 0) + (engine ?? 0), cpuSeconds: sampleValue(samples, 'process_cpu_seconds_total') };
    } catch {
      return undefined;
    }
  }
}

export interface ResourcePoint {
  /** Seconds since the monitor started. */
  t: number;
  rssBytes: number;
  /** CPU cores used since the previous reading. */
  cpuCores?: number;
}

export interface ResourceReport {
  source: string;
  samples: number;
  baselineRssBytes?: number;
  peakRssBytes?: number;
  peakCpuCores?: number;
  meanCpuCores?: number;
  series: ResourcePoint[];
}

/** Turns cumulative readings into points with the CPU cores used in each interval. */
export function toResourcePoints(readings: readonly ResourceReading[]): ResourcePoint[] {
  if (readings.length === 0) return [];
  const t0 = readings[0].at;
  return readings.map((r, i) => {
    const prev = readings[i - 1];
    let cpuCores: number | undefined;
    if (prev && r.cpuSeconds !== undefined && prev.cpuSeconds !== undefined && r.at > prev.at) {
      cpuCores = Math.max(0, (r.cpuSeconds - prev.cpuSeconds) / ((r.at - prev.at) / 1000));
    }
    return { t: (r.at - t0) / 1000, rssBytes: r.rssBytes, cpuCores };
  });
}

/** Baseline (first reading), peaks, and mean CPU (first to last reading). */
export function summarizeResources(source: string, readings: readonly ResourceReading[]): ResourceReport {
  const series = toResourcePoints(readings);
  const cores = series.map((p) => p.cpuCores).filter((c): c is number => c !== undefined);
  const first = readings[0];
  const last = readings[readings.length - 1];
  const meanCpuCores =
    first && last && last.at > first.at && first.cpuSeconds !== undefined && last.cpuSeconds !== undefined
      ? (last.cpuSeconds - first.cpuSeconds) / ((last.at - first.at) / 1000)
      : undefined;
  return {
    source,
    samples: readings.length,
    baselineRssBytes: first?.rssBytes,
    peakRssBytes: readings.length ? Math.max(...readings.map((r) => r.rssBytes)) : undefined,
    peakCpuCores: cores.length ? Math.max(...cores) : undefined,
    meanCpuCores,
    series,
  };
}

/** Reads a source every `intervalMs` until stopped. */
export class ResourceMonitor {
  private readonly readings: ResourceReading[] = [];
  private timer?: NodeJS.Timeout;
  private pending: Promise<void> = Promise.resolve();
  private running = false;

  constructor(
    readonly source: ResourceSource,
    private readonly intervalMs = 500,
  ) {}

  /** Takes the baseline reading, then samples in the background. */
  async start(): Promise<void> {
    this.running = true;
    await this.take();
    this.schedule();
  }

  latest(): ResourceReading | undefined {
    return this.readings[this.readings.length - 1];
  }

  async stop(): Promise<ResourceReport> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.pending;
    await this.take();
    return summarizeResources(this.source.description, this.readings);
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.pending = this.take().then(() => {
        if (this.running) this.schedule();
      });
    }, this.intervalMs);
  }

  private async take(): Promise<void> {
    const reading = await this.source.read();
    if (reading) this.readings.push(reading);
  }
}
