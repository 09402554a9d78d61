/**
 * Seed 1.1's service timings with a managed engine: start to ready (service start < 30 s),
 * restart to ready (< 15 s), and recovery after the engine process dies. The engine is the
 * executable given (the real `vllm`, or a stand-in that behaves like `vllm serve`), launched by
 * the same code that launches vLLM in production.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envPrefix } from '../config/model-ids';
import { cliEntry } from '../server/engines/simulator-process';
import { BenchProcess } from './bench-process';
import { cleanEnv } from './gateway-launcher';
import { processTree } from './process-tree';
import { median } from './stats';

export interface LifecycleOptions {
  model: string;
  /** The engine executable (engine.vllm.executable). */
  vllm: string;
  rounds: number;
  configDir?: string;
  progress?: (line: string) => void;
}

export interface LifecycleRound {
  /** Process start to the first successful completion, seconds. */
  startS: number;
  /** The engine killed (SIGKILL) to the first successful completion again, seconds. */
  engineRecoveryS: number;
  /** SIGTERM to the old process, start of a new one, to its first successful completion, seconds. */
  restartS: number;
}

export interface LifecycleReport {
  model: string;
  vllm: string;
  rounds: LifecycleRound[];
  median: { startS: number; engineRecoveryS: number; restartS: number };
  targets: { startS: 30; restartS: 15 };
}

/** Seconds from `from` (performance.now()) until a completion succeeds at `url`. */
async function untilAnswering(url: string, from: number, timeoutMs = 120_000): Promise<number> {
  const deadline = from + timeoutMs;
  while (performance.now() < deadline) {
    const ok = await fetch(`${url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'ready?', max_tokens: 1 }),
      signal: AbortSignal.timeout(2_000),
    }).then(
      async (res) => (await res.arrayBuffer(), res.status === 200),
      () => false,
    );
    if (ok) return (performance.now() - from) / 1000;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

export async function runLifecycle(options: LifecycleOptions): Promise<LifecycleReport> {
  const p = envPrefix(options.model);
  const cwd = mkdtempSync(join(tmpdir(), 'citadel-lifecycle-'));
  const launch = () =>
    new BenchProcess<string>({
      name: `serve ${options.model}`,
      command: process.execPath,
      args: [cliEntry(), 'serve', options.model, '--host', '127.0.0.1', ...(options.configDir ? ['--config-dir', options.configDir] : [])],
      cwd,
      env: cleanEnv({ [`${p}_PORT`]: '0', [`${p}_METRICS_PORT`]: '0', [`${p}_ENGINE_MODE`]: 'managed', [`${p}_VLLM_EXECUTABLE`]: options.vllm }),
      ready: (line) => new RegExp(`${options.model.replace(/\./g, '\\.')} serves on (http://\\S+)`).exec(line)?.[1],
      readyTimeoutMs: 300_000,
    });
  const rounds: LifecycleRound[] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      let started = performance.now();
      let server = launch();
      const url = await server.start();
      const startS = await untilAnswering(url, started);

      // The engine is the server's child: kill it as a crash would.
      const engine = processTree(server.pid!).find((pid) => pid !== server.pid);
      if (engine === undefined) throw new Error('no engine process found under the server');
      const killed = performance.now();
      process.kill(engine, 'SIGKILL');
      const engineRecoveryS = await untilAnswering(url, killed);

      started = performance.now();
      await server.stop();
      server = launch();
      const again = await server.start();
      const restartS = await untilAnswering(again, started);
      await server.stop();

      rounds.push({ startS, engineRecoveryS, restartS });
      options.progress?.(`round ${round}/${options.rounds}: start ${startS.toFixed(2)} s, engine recovery ${engineRecoveryS.toFixed(2)} s, restart ${restartS.toFixed(2)} s`);
    }
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  return {
    model: options.model,
    vllm: options.vllm,
    rounds,
    median: {
      startS: median(rounds.map((r) => r.startS)) ?? NaN,
      engineRecoveryS: median(rounds.map((r) => r.engineRecoveryS)) ?? NaN,
      restartS: median(rounds.map((r) => r.restartS)) ?? NaN,
    },
    targets: { startS: 30, restartS: 15 },
  };
}

/** The report as a table, with the seed's targets. */
export function lifecycleTable(report: LifecycleReport): string {
  const row = (name: string, value: number, target?: number) =>
    `| ${name} | ${value.toFixed(2)} s | ${target === undefined ? '–' : `< ${target} s`} | ${target === undefined ? '–' : value < target ? 'PASS' : 'FAIL'} |`;
  return [
    `| measure (median of ${report.rounds.length}) | time | seed target | |`,
    '|---|---:|---:|---|',
    row('service start to first answer', report.median.startS, report.targets.startS),
    row('service restart to first answer', report.median.restartS, report.targets.restartS),
    row('engine killed to first answer again', report.median.engineRecoveryS),
  ].join('\n');
}
