/**
 * `citadel-llm bench floors`: picks the load generator (wrk when installed, else the Node one),
 * runs the harness, writes floors.md and floors.json to --out-dir and prints the table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { loadCitadelConfig } from '../config/config-loader';
import { simulatorModelFromConfig } from '../simulator/model-from-config';
import { analyzeFloors, FloorsAnalysis } from './floors-analysis';
import { runFloors } from './floors-harness';
import { renderFloorsMarkdown } from './floors-markdown';
import type { FloorsRaw } from './floors-types';
import { BENCH_DIR } from './prompts';
import { stderrProgress } from './progress';
import { round } from './stats';
import { chooseLoadGenerator } from './tools';

export interface FloorsCliOptions {
  model: string;
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  maxTokens: number;
  load: 'auto' | 'wrk' | 'node';
  wrk?: string;
  outDir?: string;
  configDir?: string;
  json: boolean;
  quiet: boolean;
}

export interface FloorsOutputs {
  markdown: string;
  analysis: FloorsAnalysis;
  files: { markdown: string; json: string };
}

export function writeFloorsOutputs(raw: FloorsRaw, outDir: string): FloorsOutputs {
  mkdirSync(outDir, { recursive: true });
  const analysis = analyzeFloors(raw);
  const markdown = renderFloorsMarkdown(raw, analysis);
  const md = join(outDir, 'floors.md');
  writeFileSync(md, markdown);
  const measurements = raw.measurements.map((m) => ({
    round: m.round,
    path: m.path,
    generator: m.result.generator,
    count: m.result.count,
    ok: m.result.ok,
    errors: m.result.errors,
    statuses: m.result.statuses,
    elapsed_ms: round(m.result.elapsedMs, 1),
    proxy_cpu_s: round(m.proxyCpuSeconds, 3),
  }));
  const json = join(outDir, 'floors.json');
  writeFileSync(
    json,
    JSON.stringify({ started_at: raw.startedAt, finished_at: raw.finishedAt, machine: raw.machine, settings: raw.settings, paths: raw.paths, versions: raw.versions, notes: raw.notes, analysis, measurements }, null, 2) + '\n',
  );
  return { markdown, analysis, files: { markdown: md, json } };
}

export async function runFloorsCli(o: FloorsCliOptions): Promise<number> {
  const config = loadCitadelConfig({ configDir: o.configDir, only: [o.model] });
  const model = config.models[0];
  const progress = stderrProgress('[floors]', !o.quiet);
  let choice: ReturnType<typeof chooseLoadGenerator>;
  try {
    choice = chooseLoadGenerator(o);
  } catch (error) {
    process.stderr.write(`citadel-llm bench floors: ${(error as Error).message}\n`);
    return 1;
  }
  for (const n of choice.notes) progress(n);
  const notes = [
    ...choice.notes,
    `this machine has ${cpus().length} cores: the load generator, the proxy measured and the simulator share them (the other proxies sit idle meanwhile)`,
  ];
  const raw = await runFloors({
    modelId: model.id,
    simModel: simulatorModelFromConfig(model),
    configDir: config.configDir,
    rounds: o.rounds,
    durationS: o.durationS,
    warmupS: o.warmupS,
    connections: o.connections,
    maxTokens: o.maxTokens,
    wrk: choice.wrk,
    notes,
    progress,
  });
  const out = writeFloorsOutputs(raw, resolve(o.outDir ?? resolve(BENCH_DIR, 'results')));
  const shown = (f: string) => relative(process.cwd(), f) || f;
  process.stdout.write(o.json ? JSON.stringify(out.analysis, null, 2) + '\n' : out.markdown);
  process.stderr.write(`written: ${shown(out.files.markdown)}, ${shown(out.files.json)}\n`);
  return 0;
}
