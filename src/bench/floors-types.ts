/** What `bench floors` records (raw), analysed by floors-analysis.ts. */
import type { RequestLoadResult } from './load-jobs';
import type { MachineInfo } from './machine-info';

/**
 * The proxies measured, bottom to top: D the bare proxy (bare-proxy.ts), the three framework
 * floors (framework-floors.ts), B the gateway's model port.
 */
export type FloorsPathId = 'D' | 'node-parse' | 'fastify' | 'nest' | 'B';
export const FLOORS_PATH_IDS: readonly FloorsPathId[] = ['D', 'node-parse', 'fastify', 'nest', 'B'];
export const FLOORS_PATH_LABELS: Record<FloorsPathId, string> = {
  D: 'D bare Node (node:http + undici, piped)',
  'node-parse': 'node:http + JSON.parse + undici, buffered',
  fastify: 'Fastify route',
  nest: 'Nest controller on Fastify',
  B: 'B gateway',
};

export interface FloorsMeasurement {
  round: number;
  path: FloorsPathId;
  result: RequestLoadResult;
  /** CPU seconds (user + system) the proxy process used over the measured window. */
  proxyCpuSeconds?: number;
}

export interface FloorsSettings {
  model: string;
  servedName: string;
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  maxTokens: number;
  loadGenerator: 'wrk' | 'node';
}

export interface FloorsRaw {
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  settings: FloorsSettings;
  paths: FloorsPathId[];
  /** The load generator's and the frameworks' versions. */
  versions: Record<string, string>;
  notes: string[];
  measurements: FloorsMeasurement[];
}
