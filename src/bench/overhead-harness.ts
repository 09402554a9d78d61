/**
 * What the gateway costs on this machine, measured side by side in one run:
 *   A  load → simulator (instant profile)
 *   B  load → gateway model port (`citadel-llm serve <model>`, engine external) → simulator
 *   C  load → nginx (proxy_pass, buffering off) → simulator, when nginx is installed
 *   D  load → a bare Node proxy (node:http + undici Pool, no framework) → simulator: B vs D is
 *      what the framework and the gateway's own features cost on top of Node
 * Every server is its own process; the load comes from another one (wrk, or the Node generator).
 * Rounds interleave the paths (their order rotating) with the same settings for each.
 *
 * Phase 1, request/response: max throughput at `connections`, latency with one connection,
 *   latency at a fixed moderate rate (open loop).
 * Phase 2, streaming: a simulator streaming `streamTokens` tokens `tokenMs` apart (no slowdown
 *   with the batch); time to first token and the gaps between chunks as the client sees them.
 * Phase 3, idle streams: resident memory of the proxy holding `idleStreams` slow streams at once.
 */
import { runLoadWorker } from './load-worker-client';
import type { HttpTarget, IdleLoadResult, RequestLoadResult, StreamLoadResult } from './load-jobs';
import { loadAverageNow, machineInfo } from './machine-info';
import { LaunchedNginx, startNginx } from './nginx-launcher';
import { LaunchedBareProxy, startBareProxyProcess } from './bare-proxy-launcher';
import { okPerSecond } from './overhead-analysis';
import type { IdleMeasurement, Measurement, MeasurementKind, OverheadRaw, OverheadSettings, PathId, ProxyPathId } from './overhead-types';
import { PATH_LABELS } from './overhead-types';
import { sampleProcesses } from './process-tree';
import type { Progress } from './progress';
import { LaunchedSimulator, startBenchSimulator, withProfile } from './simulator-launcher';
import { LaunchedGateway, startGateway } from './gateway-launcher';
import { percentile } from './stats';
import type { Tool } from './tools';
import { runWrk } from './wrk-runner';
import { INSTANT_PROFILE } from '../simulator/profiles';
import type { SimulatorModel } from '../simulator/types';
import { envPrefix } from '../config/model-ids';

export interface OverheadOptions {
  modelId: string;
  simModel: SimulatorModel;
  configDir: string;
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  /** Requests per second of the fixed-rate measurement; 'auto': a quarter of the slowest path's max throughput in round 1. */
  rate: number | 'auto';
  requestMaxTokens: number;
  streamConcurrency: number;
  streamTokens: number;
  tokenMs: number;
  idleStreams: number;
  idleTokenMs: number;
  holdS: number;
  /** Absent: the Node generator does the closed-loop load too. */
  wrk?: Tool;
  /** Absent: path C is skipped. */
  nginx?: Tool;
  nginxWorkers: number;
  notes: string[];
  progress: Progress;
}

/** Streams one simulator replica serves in the idle phase (the gateway's pool has 256 connections per replica). */
export const STREAMS_PER_REPLICA = 200;
const TIMEOUT_MS = 30_000;

interface Topology {
  sims: LaunchedSimulator[];
  gateway: LaunchedGateway;
  nginx?: LaunchedNginx;
  bare: LaunchedBareProxy;
}

async function startTopology(o: OverheadOptions, sims: () => Promise<LaunchedSimulator[]>, gatewayEnv: Record<string, string> = {}): Promise<Topology> {
  const started: LaunchedSimulator[] = [];
  let gateway: LaunchedGateway | undefined;
  let nginx: LaunchedNginx | undefined;
  let bare: LaunchedBareProxy | undefined;
  try {
    started.push(...(await sims()));
    const urls = started.map((s) => s.url);
    const [g, n, d] = await Promise.allSettled([
      startGateway({ model: o.modelId, engineUrls: urls, configDir: o.configDir, env: gatewayEnv }),
      o.nginx ? startNginx(o.nginx.path, urls, o.nginxWorkers) : Promise.resolve(undefined),
      startBareProxyProcess(urls),
    ]);
    if (g.status === 'fulfilled') gateway = g.value;
    if (n.status === 'fulfilled') nginx = n.value;
    if (d.status === 'fulfilled') bare = d.value;
    for (const s of [g, n, d]) if (s.status === 'rejected') throw s.reason;
    return { sims: started, gateway: gateway as LaunchedGateway, nginx, bare: bare as LaunchedBareProxy };
  } catch (error) {
    await stopTopology({ sims: started, gateway, nginx, bare });
    throw error;
  }
}

async function stopTopology(t: Partial<Topology>): Promise<void> {
  await Promise.all([t.gateway?.process.stop(), t.nginx?.stop(), t.bare?.process.stop()]);
  await Promise.all((t.sims ?? []).map((s) => s.process.stop()));
}

async function startSims(count: number, name: string, model: SimulatorModel, instant: boolean): Promise<LaunchedSimulator[]> {
  const settled = await Promise.allSettled(Array.from({ length: count }, (_, i) => startBenchSimulator(count > 1 ? `${name} ${i + 1}` : name, model, instant)));
  const ok = settled.filter((s): s is PromiseFulfilledResult<LaunchedSimulator> => s.status === 'fulfilled').map((s) => s.value);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(ok.map((s) => s.process.stop()));
    throw failed.reason;
  }
  return ok;
}

function rotate<T>(list: readonly T[], by: number): T[] {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/** A quarter of `rps`, rounded down to a multiple of half its power of ten (at least 10). */
export function moderateRate(rps: number): number {
  const quarter = rps / 4;
  if (quarter <= 10) return 10;
  const step = Math.max(5, 10 ** Math.floor(Math.log10(quarter)) / 2);
  return Math.floor(quarter / step) * step;
}

function fmt(v: number | undefined, digits = 2): string {
  return v === undefined ? 'n/a' : v.toFixed(digits);
}

export async function runOverhead(o: OverheadOptions): Promise<OverheadRaw> {
  const log = o.progress;
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const paths: PathId[] = o.nginx ? ['A', 'B', 'C', 'D'] : ['A', 'B', 'D'];
  const measurements: Measurement[] = [];
  const idle: IdleMeasurement[] = [];
  const servedName = o.simModel.servedName;
  const durationMs = o.durationS * 1000;
  const settings: OverheadSettings = {
    model: o.modelId,
    servedName,
    rounds: o.rounds,
    durationS: o.durationS,
    warmupS: o.warmupS,
    connections: o.connections,
    rateRps: typeof o.rate === 'number' ? o.rate : 0,
    rateChoice: o.rate === 'auto' ? 'auto' : 'given',
    requestMaxTokens: o.requestMaxTokens,
    streamConcurrency: o.streamConcurrency,
    streamTokens: o.streamTokens,
    tokenMs: o.tokenMs,
    idleStreams: o.idleStreams,
    idleTokenMs: o.idleTokenMs,
    idleReplicas: Math.max(1, Math.ceil(o.idleStreams / STREAMS_PER_REPLICA)),
    holdS: o.holdS,
    loadGenerator: o.wrk ? 'wrk' : 'node',
    nginxWorkers: o.nginxWorkers,
  };
  const headers = { 'content-type': 'application/json' };
  const messages = [{ role: 'user', content: 'Say hello to the benchmark.' }];
  const requestBody = JSON.stringify({ model: servedName, messages, max_tokens: o.requestMaxTokens, ignore_eos: true });
  const streamBody = (maxTokens: number) => JSON.stringify({ model: servedName, messages, max_tokens: maxTokens, ignore_eos: true, stream: true });
  const target = (origin: string, body: string): HttpTarget => ({ origin, path: '/v1/chat/completions', headers, body, timeoutMs: TIMEOUT_MS });

  const origins = (t: Topology): Record<PathId, string | undefined> => ({ A: t.sims[0].url, B: t.gateway.url, C: t.nginx?.url, D: t.bare.url });
  const cpuOf = (pid: number | undefined) => (pid === undefined ? undefined : sampleProcesses([pid], true)?.cpuSeconds);
  const proxyPid = (t: Topology, path: PathId) => ({ A: undefined, B: t.gateway.process.pid, C: t.nginx?.process.pid, D: t.bare.process.pid })[path];

  /** Runs one measurement and records it with the CPU each process used meanwhile. */
  const measure = async (t: Topology, round: number, path: PathId, kind: MeasurementKind, run: () => Promise<RequestLoadResult | StreamLoadResult>) => {
    const proxy0 = cpuOf(proxyPid(t, path));
    const sim0 = cpuOf(t.sims[0].process.pid);
    const result = await run();
    const proxy1 = cpuOf(proxyPid(t, path));
    const sim1 = cpuOf(t.sims[0].process.pid);
    const m: Measurement = {
      round,
      path,
      kind,
      result,
      cpu: {
        proxy: proxy0 !== undefined && proxy1 !== undefined ? proxy1 - proxy0 : undefined,
        simulator: sim0 !== undefined && sim1 !== undefined ? sim1 - sim0 : undefined,
        generator: result.generatorCpuSeconds,
      },
    };
    measurements.push(m);
    return m;
  };

  const closedLoad = (origin: string, concurrency: number, seconds: number): Promise<RequestLoadResult> =>
    o.wrk
      ? runWrk({ wrkPath: o.wrk.path, target: target(origin, requestBody), connections: concurrency, durationS: seconds })
      : (runLoadWorker({ kind: 'closed', target: target(origin, requestBody), concurrency, durationMs: seconds * 1000 }) as Promise<RequestLoadResult>);

  // Phase 1: request/response on the instant simulator.
  log(`phase 1/3: request/response — paths ${paths.join(', ')}, ${o.rounds} round(s) of ${o.durationS} s per measurement, load from ${o.wrk ? 'wrk' : 'the Node generator'}`);
  const p1 = await startTopology(o, () => startSims(1, 'simulator (instant)', withProfile(o.simModel, INSTANT_PROFILE, Math.max(o.simModel.maxNumSeqs, o.connections * 2)), true));
  try {
    const url = origins(p1);
    if (o.warmupS > 0) {
      for (const path of paths) {
        await closedLoad(url[path] as string, o.connections, Math.max(1, o.warmupS));
      }
      log(`  warmed up every path for ${o.warmupS} s`);
    }
    for (let round = 1; round <= o.rounds; round++) {
      const order = rotate(paths, round - 1);
      for (const path of order) {
        const m = await measure(p1, round, path, 'throughput', () => closedLoad(url[path] as string, o.connections, o.durationS));
        const r = m.result as RequestLoadResult;
        log(`  round ${round}/${o.rounds} max throughput ${PATH_LABELS[path]}: ${fmt(okPerSecond(r), 0)} req/s at c=${o.connections}, p99 ${fmt(percentile(r.latenciesMs, 99))} ms${r.errors ? `, ${r.errors} errors` : ''}`);
      }
      if (round === 1 && o.rate === 'auto') {
        const slowest = Math.min(...measurements.filter((m) => m.kind === 'throughput').map((m) => okPerSecond(m.result as RequestLoadResult) ?? Infinity));
        settings.rateRps = moderateRate(Number.isFinite(slowest) ? slowest : 40);
        log(`  fixed moderate rate: ${settings.rateRps} req/s (a quarter of the slowest path, rounded down)`);
      }
      for (const path of order) {
        const m = await measure(p1, round, path, 'c1', () => closedLoad(url[path] as string, 1, o.durationS));
        const r = m.result as RequestLoadResult;
        log(`  round ${round}/${o.rounds} one connection ${PATH_LABELS[path]}: p50 ${fmt(percentile(r.latenciesMs, 50), 3)} ms, p99 ${fmt(percentile(r.latenciesMs, 99), 3)} ms`);
      }
      for (const path of order) {
        const m = await measure(p1, round, path, 'rate', () =>
          runLoadWorker({ kind: 'open', target: target(url[path] as string, requestBody), rps: settings.rateRps, durationMs, maxInFlight: 1000 }) as Promise<RequestLoadResult>,
        );
        const r = m.result as RequestLoadResult;
        log(`  round ${round}/${o.rounds} ${settings.rateRps} req/s ${PATH_LABELS[path]}: p50 ${fmt(percentile(r.latenciesMs, 50), 3)} ms, p99 ${fmt(percentile(r.latenciesMs, 99), 3)} ms${r.errors ? `, ${r.errors} errors` : ''}`);
      }
    }
  } finally {
    await stopTopology(p1);
  }

  // Phase 2: streaming, tokens tokenMs apart.
  log(`phase 2/3: streaming — ${o.streamTokens} tokens ${o.tokenMs} ms apart, ${o.streamConcurrency} concurrent streams`);
  const streamModel = withProfile(o.simModel, { ttftBaseMs: 10, prefillMsPerToken: 0, itlBaseMs: o.tokenMs, itlMsPerRunningSeq: 0 }, Math.max(o.simModel.maxNumSeqs, o.streamConcurrency * 2));
  const p2 = await startTopology(o, () => startSims(1, 'simulator (streaming)', streamModel, false));
  try {
    const url = origins(p2);
    const streamTarget = (path: PathId) => target(url[path] as string, streamBody(o.streamTokens));
    const warmupBody = streamBody(1);
    // Streams start spread over one stream's length: a steady state, not a synchronized burst.
    const staggerMs = o.streamTokens * o.tokenMs;
    if (o.warmupS > 0) {
      for (const path of paths) await runLoadWorker({ kind: 'stream', target: streamTarget(path), concurrency: o.streamConcurrency, durationMs: o.warmupS * 1000, warmupBody, staggerMs });
      log(`  warmed up every path for ${o.warmupS} s`);
    }
    for (let round = 1; round <= o.rounds; round++) {
      for (const path of rotate(paths, round - 1)) {
        const m = await measure(p2, round, path, 'stream', () =>
          runLoadWorker({ kind: 'stream', target: streamTarget(path), concurrency: o.streamConcurrency, durationMs, warmupBody, staggerMs }) as Promise<StreamLoadResult>,
        );
        const r = m.result as StreamLoadResult;
        log(
          `  round ${round}/${o.rounds} streams ${PATH_LABELS[path]}: ${r.completed}/${r.streams} complete, TTFT p50 ${fmt(percentile(r.ttftMs, 50))} ms, gap p99 ${fmt(percentile(r.gapsMs, 99))} ms${r.errors ? `, errors: ${r.firstErrors.join('; ')}` : ''}`,
        );
      }
    }
  } finally {
    await stopTopology(p2);
  }

  // Phase 3: memory of the proxy holding many slow streams.
  if (o.idleStreams > 0) {
    const replicas = settings.idleReplicas;
    log(`phase 3/3: ${o.idleStreams} idle-ish streams (a token every ${o.idleTokenMs} ms) over ${replicas} simulator replica(s)`);
    const idleModel = withProfile(o.simModel, { ttftBaseMs: 10, prefillMsPerToken: 0, itlBaseMs: o.idleTokenMs, itlMsPerRunningSeq: 0, maxWaiting: 100_000 }, o.idleStreams + 64);
    const p3 = await startTopology(o, () => startSims(replicas, 'simulator (idle streams)', idleModel, false), {
      [`${envPrefix(o.modelId)}_MAX_CONCURRENT_REQUESTS`]: String(o.idleStreams + 64),
    });
    try {
      const url = origins(p3);
      const settleTimeoutMs = 30_000;
      const openPerSecond = 500;
      // Long enough that no stream ends on its own before it is released.
      const holdTokens = Math.ceil(((o.idleStreams / openPerSecond) * 1000 + settleTimeoutMs + o.holdS * 1000 + 10_000) / o.idleTokenMs) + 10;
      for (const path of paths.filter((p): p is ProxyPathId => p !== 'A')) {
        const pid = proxyPid(p3, path) as number;
        // Warm the path with short streams first (one token each).
        if (o.warmupS > 0) await runLoadWorker({ kind: 'stream', target: target(url[path] as string, streamBody(1)), concurrency: 8, durationMs: o.warmupS * 1000 });
        const rssBefore = sampleProcesses([pid], true)?.rssBytes ?? 0;
        let rssHolding = 0;
        const result = (await runLoadWorker(
          { kind: 'idle', target: target(url[path] as string, streamBody(holdTokens)), streams: o.idleStreams, openPerSecond, settleTimeoutMs, maxHoldMs: o.holdS * 1000 + 30_000 },
          {
            onHolding: (holding, release) => {
              log(`  ${PATH_LABELS[path]}: ${holding.flowing}/${holding.opened} streams flowing${holding.errors ? `, ${holding.errors} failed` : ''}; holding ${o.holdS} s`);
              const samples = Math.max(1, Math.round(o.holdS * 2));
              void (async () => {
                for (let i = 0; i < samples; i++) {
                  await new Promise((r) => setTimeout(r, (o.holdS * 1000) / samples));
                  rssHolding = Math.max(rssHolding, sampleProcesses([pid], true)?.rssBytes ?? 0);
                }
                release();
              })();
            },
          },
        )) as IdleLoadResult;
        idle.push({ path, rssBeforeBytes: rssBefore, rssHoldingBytes: rssHolding, result });
        log(`  ${PATH_LABELS[path]}: resident memory ${(rssBefore / 1024 ** 2).toFixed(1)} MB before, ${(rssHolding / 1024 ** 2).toFixed(1)} MB holding ${result.opened} streams`);
      }
    } finally {
      await stopTopology(p3);
    }
  } else {
    log('phase 3/3: skipped (--idle-streams 0)');
  }

  machine.loadAverageEnd = loadAverageNow();
  return { startedAt, finishedAt: new Date().toISOString(), machine, settings, paths, tools: { wrk: o.wrk?.version, nginx: o.nginx?.version }, notes: o.notes, measurements, idle };
}
