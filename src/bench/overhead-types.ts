/** What the overhead harness records (raw) — analysed by overhead-analysis.ts. */
import type { IdleLoadResult, RequestLoadResult, StreamLoadResult } from './load-jobs';
import type { MachineInfo } from './machine-info';

/**
 * A: load → simulator; B: load → gateway model port → simulator; C: load → nginx → simulator;
 * D: load → bare Node proxy (node:http + undici Pool, bare-proxy.ts) → simulator.
 */
export type PathId = 'A' | 'B' | 'C' | 'D';
export const PATH_IDS: readonly PathId[] = ['A', 'B', 'C', 'D'];
export const PATH_LABELS: Record<PathId, string> = {
  A: 'A direct',
  B: 'B gateway',
  C: 'C nginx',
  D: 'D bare Node',
};
/** The paths with a proxy process between the load and the simulator. */
export type ProxyPathId = Exclude<PathId, 'A'>;

export type MeasurementKind = 'throughput' | 'c1' | 'rate' | 'stream';

/** CPU seconds each process used during one measurement. */
export interface CpuUse {
  /** The gateway (B), nginx, master and workers (C), or the bare proxy (D); absent for A. */
  proxy?: number;
  simulator?: number;
  generator: number;
}

export interface Measurement {
  round: number;
  path: PathId;
  kind: MeasurementKind;
  result: RequestLoadResult | StreamLoadResult;
  cpu: CpuUse;
}

export interface IdleMeasurement {
  path: ProxyPathId;
  /** The proxy's resident memory before the streams opened, and the most while holding them. */
  rssBeforeBytes: number;
  rssHoldingBytes: number;
  result: IdleLoadResult;
}

export interface OverheadSettings {
  model: string;
  servedName: string;
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  /** The fixed moderate rate (req/s), chosen or given. */
  rateRps: number;
  rateChoice: 'auto' | 'given';
  requestMaxTokens: number;
  streamConcurrency: number;
  streamTokens: number;
  tokenMs: number;
  idleStreams: number;
  idleTokenMs: number;
  idleReplicas: number;
  holdS: number;
  loadGenerator: 'wrk' | 'node';
  nginxWorkers: number;
}

export interface OverheadRaw {
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  settings: OverheadSettings;
  /** Paths measured (C only when nginx is there; D unless turned off). */
  paths: PathId[];
  tools: { wrk?: string; nginx?: string };
  notes: string[];
  measurements: Measurement[];
  idle: IdleMeasurement[];
}
