/**
 * `bench floors`: what each framework layer costs on its own. One simulator (instant profile)
 * behind five proxies, each its own process: D the bare proxy, the three framework floors
 * (node-parse, fastify, nest) and B the gateway's model port. Rounds measure every path in turn
 * (the order rotating) with the same closed-loop chat-completion load; each measurement records
 * the answers, the throughput and the proxy's CPU time over the window, read from /proc.
 */
import { readFileSync } from 'node:fs';
import { LaunchedBareProxy, startBareProxyProcess } from './bare-proxy-launcher';
import { LaunchedFloor, startFloorProcess } from './floor-launcher';
import type { FloorsMeasurement, FloorsPathId, FloorsRaw, FloorsSettings } from './floors-types';
import { FLOORS_PATH_IDS, FLOORS_PATH_LABELS } from './floors-types';
import { LaunchedGateway, startGateway } from './gateway-launcher';
import type { HttpTarget, RequestLoadResult } from './load-jobs';
import { runLoadWorker } from './load-worker-client';
import { loadAverageNow, machineInfo } from './machine-info';
import { sampleProcesses } from './process-tree';
import type { Progress } from './progress';
import { startBenchSimulator, withProfile } from './simulator-launcher';
import type { Tool } from './tools';
import { runWrk } from './wrk-runner';
import { INSTANT_PROFILE } from '../simulator/profiles';
import type { SimulatorModel } from '../simulator/types';

export interface FloorsOptions {
  modelId: string;
  simModel: SimulatorModel;
  configDir: string;
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  maxTokens: number;
  /** Absent: the Node load generator (its own process). */
  wrk?: Tool;
  notes: string[];
  progress: Progress;
}

const TIMEOUT_MS = 30_000;

type Proxies = Partial<Record<FloorsPathId, { url: string; process: { pid?: number; stop(): Promise<void> } }>>;

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function rotate<T>(list: readonly T[], by: number): T[] {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

async function startProxies(o: FloorsOptions, upstream: string): Promise<Proxies> {
  const starts: [FloorsPathId, Promise<LaunchedBareProxy | LaunchedFloor | LaunchedGateway>][] = [
    ['D', startBareProxyProcess([upstream])],
    ['node-parse', startFloorProcess('node-parse', [upstream])],
    ['fastify', startFloorProcess('fastify', [upstream])],
    ['nest', startFloorProcess('nest', [upstream])],
    ['B', startGateway({ model: o.modelId, engineUrls: [upstream], configDir: o.configDir })],
  ];
  const settled = await Promise.allSettled(starts.map(([, started]) => started));
  const proxies: Proxies = {};
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') proxies[starts[i][0]] = s.value;
  });
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stopProxies(proxies);
    throw failed.reason;
  }
  return proxies;
}

async function stopProxies(proxies: Proxies): Promise<void> {
  await Promise.all(Object.values(proxies).map((p) => p?.process.stop()));
}

export async function runFloors(o: FloorsOptions): Promise<FloorsRaw> {
  const log = o.progress;
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const paths = [...FLOORS_PATH_IDS];
  const servedName = o.simModel.servedName;
  const settings: FloorsSettings = {
    model: o.modelId,
    servedName,
    rounds: o.rounds,
    durationS: o.durationS,
    warmupS: o.warmupS,
    connections: o.connections,
    maxTokens: o.maxTokens,
    loadGenerator: o.wrk ? 'wrk' : 'node',
  };
  const versions: Record<string, string> = {
    node: process.version,
    undici: packageVersion('undici'),
    fastify: packageVersion('fastify'),
    '@nestjs/core': packageVersion('@nestjs/core'),
    '@nestjs/platform-fastify': packageVersion('@nestjs/platform-fastify'),
    // wrk -v prints e.g. "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer": the version alone.
    ...(o.wrk ? { wrk: /\d+\.\d+[\w.+-]*/.exec(o.wrk.version)?.[0] ?? o.wrk.version } : {}),
  };
  // The request/response body of `bench overhead`'s phase 1.
  const body = JSON.stringify({ model: servedName, messages: [{ role: 'user', content: 'Say hello to the benchmark.' }], max_tokens: o.maxTokens, ignore_eos: true });
  const target = (origin: string): HttpTarget => ({ origin, path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body, timeoutMs: TIMEOUT_MS });
  const closedLoad = (origin: string, seconds: number): Promise<RequestLoadResult> =>
    o.wrk
      ? runWrk({ wrkPath: o.wrk.path, target: target(origin), connections: o.connections, durationS: seconds })
      : (runLoadWorker({ kind: 'closed', target: target(origin), concurrency: o.connections, durationMs: seconds * 1000 }) as Promise<RequestLoadResult>);
  const cpuOf = (pid: number | undefined) => (pid === undefined ? undefined : sampleProcesses([pid], true)?.cpuSeconds);

  const measurements: FloorsMeasurement[] = [];
  const sim = await startBenchSimulator('simulator (instant)', withProfile(o.simModel, INSTANT_PROFILE, Math.max(o.simModel.maxNumSeqs, o.connections * 2)), true);
  let proxies: Proxies = {};
  try {
    proxies = await startProxies(o, sim.url);
    const url = (p: FloorsPathId) => proxies[p]?.url as string;
    const pid = (p: FloorsPathId) => proxies[p]?.process.pid;
    log(`paths ${paths.join(', ')}; ${o.rounds} round(s) of ${o.durationS} s at c=${o.connections}, load from ${o.wrk ? 'wrk' : 'the Node generator'}`);
    if (o.warmupS > 0) {
      for (const p of paths) await closedLoad(url(p), Math.max(1, o.warmupS));
      log(`  warmed up every path for ${o.warmupS} s`);
    }
    for (let round = 1; round <= o.rounds; round++) {
      for (const p of rotate(paths, round - 1)) {
        const cpu0 = cpuOf(pid(p));
        const result = await closedLoad(url(p), o.durationS);
        const cpu1 = cpuOf(pid(p));
        const proxyCpuSeconds = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;
        measurements.push({ round, path: p, result, proxyCpuSeconds });
        const rps = result.elapsedMs > 0 ? result.ok / (result.elapsedMs / 1000) : 0;
        const us = proxyCpuSeconds !== undefined && result.ok > 0 ? (proxyCpuSeconds / result.ok) * 1e6 : undefined;
        log(`  round ${round}/${o.rounds} ${FLOORS_PATH_LABELS[p]}: ${rps.toFixed(0)} req/s, ${us === undefined ? 'n/a' : us.toFixed(1)} µs CPU/request${result.errors ? `, ${result.errors} errors` : ''}`);
      }
    }
  } finally {
    await stopProxies(proxies);
    await sim.process.stop();
  }
  machine.loadAverageEnd = loadAverageNow();
  return { startedAt, finishedAt: new Date().toISOString(), machine, settings, paths, versions, notes: o.notes, measurements };
}
