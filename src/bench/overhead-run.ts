/**
 * `citadel-llm bench overhead`: finds wrk and nginx (and says what is missing), runs the harness,
 * writes overhead.md / overhead.json / overhead.svg (and .png) and the raw samples.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { simulatorModelFromConfig } from '../simulator/model-from-config';
import { loadCitadelConfig } from '../config/config-loader';
import { analyzeOverhead, OverheadAnalysis, plotSamples } from './overhead-analysis';
import { runOverhead } from './overhead-harness';
import { renderOverheadMarkdown } from './overhead-markdown';
import { niceCeil, renderOverheadSvg, svgToPng } from './overhead-plot';
import type { OverheadRaw } from './overhead-types';
import { stderrProgress } from './progress';
import { BENCH_DIR } from './prompts';
import { writeJsonReport } from './report-writer';
import { gapDistortion, percentile, round } from './stats';
import { chooseLoadGenerator, detectNginx, detectWrk, Tool } from './tools';

export interface OverheadCliOptions {
  model: string;
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  rate: number | 'auto';
  maxTokens: number;
  streamConcurrency: number;
  streamTokens: number;
  tokenMs: number;
  idleStreams: number;
  idleTokenMs: number;
  holdS: number;
  load: 'auto' | 'wrk' | 'node';
  wrk?: string;
  nginx: string;
  nginxWorkers: number;
  outDir?: string;
  reportsDir: string;
  /** Re-analyse a saved run (its raw samples) instead of measuring. */
  fromRaw?: string;
  configDir?: string;
  json: boolean;
  quiet: boolean;
}

export const DEFAULT_RESULTS_DIR = resolve(BENCH_DIR, 'results');

/** Which tools to use, and the notes saying what was missing. Throws when one asked for by name is absent. */
export function chooseTools(o: Pick<OverheadCliOptions, 'load' | 'wrk' | 'nginx'>, find = { wrk: detectWrk, nginx: detectNginx }): { wrk?: Tool; nginx?: Tool; notes: string[] } {
  const { wrk, notes } = chooseLoadGenerator(o, find.wrk);
  let nginx: Tool | undefined;
  if (o.nginx === 'off') {
    notes.push('--nginx off: path C (nginx) skipped');
  } else {
    nginx = find.nginx(o.nginx === 'auto' ? 'nginx' : o.nginx);
    if (!nginx && o.nginx !== 'auto') throw new Error(`nginx not found at ${o.nginx}`);
    if (!nginx) notes.push('nginx is not installed (Debian: apt-get install nginx-light): path C skipped');
  }
  return { wrk, nginx, notes };
}

/** One line per measurement, without the samples. */
function measurementSummaries(raw: OverheadRaw) {
  return raw.measurements.map((m) => {
    const r = m.result;
    const stream = r.kind === 'stream';
    const latencies = stream ? r.ttftMs : r.latenciesMs;
    const count = stream ? r.streams : r.count;
    const ok = stream ? r.completed : r.ok;
    return {
      round: m.round,
      path: m.path,
      kind: m.kind,
      generator: r.generator,
      count,
      ok,
      errors: r.errors,
      elapsed_ms: round(r.elapsedMs, 1),
      ok_per_s: round(ok / (r.elapsedMs / 1000), 1),
      [stream ? 'ttft_p50_ms' : 'p50_ms']: round(percentile(latencies, 50), 3),
      [stream ? 'ttft_p99_ms' : 'p99_ms']: round(percentile(latencies, 99), 3),
      cpu_s: { proxy: round(m.cpu.proxy, 3), simulator: round(m.cpu.simulator, 3), generator: round(m.cpu.generator, 3) },
    };
  });
}

export interface OverheadOutputs {
  markdown: string;
  analysis: OverheadAnalysis;
  files: { markdown: string; json: string; svg: string; png: string; raw: string };
}

/** Writes the run's files; the plot is referenced from the Markdown by its file name. */
export function writeOverheadOutputs(raw: OverheadRaw, outDir: string, reportsDir: string | undefined): OverheadOutputs {
  mkdirSync(outDir, { recursive: true });
  const analysis = analyzeOverhead(raw);
  const samples = plotSamples(raw);
  const s = raw.settings;
  // The gap axis is centred on the nominal spacing, as wide as the worst path's p99.9 distortion.
  const spread = niceCeil(Math.max(2, ...Object.values(samples.gaps).map((g) => (gapDistortion(g ?? [], s.tokenMs, 99.9) ?? 0) * 1.1)));
  const figure = renderOverheadSvg(
    [
      { title: 'Latency CDF, one connection', xLabel: 'latency, ms (axis ends at the slowest p99)', samples: samples.c1, counts: samples.c1Requests, clipPercentile: 99 },
      { title: `Latency CDF at ${s.rateRps} req/s (open loop)`, xLabel: 'latency, ms (axis ends at the slowest p99)', samples: samples.rate, clipPercentile: 99 },
      { title: `Streaming: gaps between chunks, tokens ${s.tokenMs} ms apart`, xLabel: 'gap, ms', samples: samples.gaps, xMin: Math.max(0, s.tokenMs - spread), xMax: s.tokenMs + spread },
    ],
    `citadel-llm bench overhead   ${raw.startedAt.slice(0, 16).replace('T', ' ')} UTC   ${raw.machine.cores} cores   ${s.rounds} rounds × ${s.durationS} s   load: ${s.loadGenerator}`,
  );
  const svg = join(outDir, 'overhead.svg');
  writeFileSync(svg, figure);
  const png = join(outDir, 'overhead.png');
  writeFileSync(png, svgToPng(figure));
  const markdown = renderOverheadMarkdown(raw, analysis, 'overhead.svg');
  const md = join(outDir, 'overhead.md');
  writeFileSync(md, markdown);
  const json = join(outDir, 'overhead.json');
  writeFileSync(
    json,
    JSON.stringify(
      { started_at: raw.startedAt, finished_at: raw.finishedAt, machine: raw.machine, settings: raw.settings, paths: raw.paths, tools: raw.tools, notes: raw.notes, analysis, measurements: measurementSummaries(raw), idle: raw.idle },
      null,
      2,
    ) + '\n',
  );
  const rawFile = reportsDir === undefined ? '(not written)' : writeJsonReport(reportsDir, 'overhead_raw', raw);
  return { markdown, analysis, files: { markdown: md, json, svg, png, raw: rawFile } };
}

export async function runOverheadCli(o: OverheadCliOptions): Promise<number> {
  if (o.fromRaw) {
    const raw = JSON.parse(readFileSync(o.fromRaw, 'utf8')) as OverheadRaw;
    const out = writeOverheadOutputs(raw, resolve(o.outDir ?? DEFAULT_RESULTS_DIR), undefined);
    process.stdout.write(o.json ? JSON.stringify(out.analysis, null, 2) + '\n' : out.markdown);
    return 0;
  }
  const config = loadCitadelConfig({ configDir: o.configDir, only: [o.model] });
  const model = config.models[0];
  const progress = stderrProgress('[overhead]', !o.quiet);
  let tools: ReturnType<typeof chooseTools>;
  try {
    tools = chooseTools(o);
  } catch (error) {
    process.stderr.write(`citadel-llm bench overhead: ${(error as Error).message}\n`);
    return 1;
  }
  const cores = cpus().length;
  const notes = [
    ...tools.notes,
    `this machine has ${cores} cores: the load generator, the proxy (gateway, nginx or the bare Node proxy) and the simulator share them, so a proxy's CPU comes out of what the others could use`,
  ];
  for (const n of tools.notes) progress(n);
  const raw = await runOverhead({
    modelId: model.id,
    simModel: simulatorModelFromConfig(model),
    configDir: config.configDir,
    rounds: o.rounds,
    durationS: o.durationS,
    warmupS: o.warmupS,
    connections: o.connections,
    rate: o.rate,
    requestMaxTokens: o.maxTokens,
    streamConcurrency: o.streamConcurrency,
    streamTokens: o.streamTokens,
    tokenMs: o.tokenMs,
    idleStreams: o.idleStreams,
    idleTokenMs: o.idleTokenMs,
    holdS: o.holdS,
    wrk: tools.wrk,
    nginx: tools.nginx,
    nginxWorkers: o.nginxWorkers,
    notes,
    progress,
  });
  const out = writeOverheadOutputs(raw, resolve(o.outDir ?? DEFAULT_RESULTS_DIR), o.reportsDir);
  const shown = (f: string) => relative(process.cwd(), f) || f;
  process.stdout.write(o.json ? JSON.stringify(out.analysis, null, 2) + '\n' : out.markdown);
  process.stderr.write(`written: ${shown(out.files.markdown)}, ${shown(out.files.json)}, ${shown(out.files.svg)}, ${shown(out.files.png)}, ${shown(out.files.raw)}\n`);
  return 0;
}
