/**
 * Starts `citadel-llm serve <model>` as its own process with its engine pointed at given URLs
 * (engine mode external), on free loopback ports, from a clean environment and an empty working
 * folder (no stray .env or variable changes what is measured).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envPrefix } from '../config/model-ids';
import { cliEntry } from '../server/engines/simulator-process';
import { BenchProcess } from './bench-process';
import { waitForHttp } from './wait-for-http';

/** Variables the configuration reads; the harness sets its own. */
const CONFIG_VARIABLE = /^(CITADEL_|MIXTRAL_8X7B_|OPENCHAT_3_5_|PHI_3_MINI_|YI_34B_|VLLM_|DEFAULT_|SERVER_IP$|SERVER_HOSTNAME$)/;

export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!CONFIG_VARIABLE.test(k)) env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

export interface GatewayLaunch {
  model: string;
  engineUrls: string[];
  configDir: string;
  /** More variables, e.g. MIXTRAL_8X7B_MAX_CONCURRENT_REQUESTS. */
  env?: Record<string, string>;
  /** Options for node itself, before the script (V8 flags NODE_OPTIONS does not take, e.g. --always-sparkplug). */
  nodeArgs?: string[];
}

export interface LaunchedGateway {
  url: string;
  metricsUrl: string;
  process: BenchProcess<{ url: string; metricsPort: string }>;
}

export async function startGateway(launch: GatewayLaunch): Promise<LaunchedGateway> {
  const p = envPrefix(launch.model);
  const cwd = mkdtempSync(join(tmpdir(), 'citadel-bench-'));
  const pattern = new RegExp(`${launch.model.replace(/[.]/g, '\\.')} serves on (http://\\S+) \\(metrics on \\S*:(\\d+)`);
  const proc = new BenchProcess<{ url: string; metricsPort: string }>({
    name: `gateway (serve ${launch.model})`,
    command: process.execPath,
    args: [...(launch.nodeArgs ?? []), cliEntry(), 'serve', launch.model, '--host', '127.0.0.1', '--config-dir', launch.configDir],
    cwd,
    env: cleanEnv({
      [`${p}_PORT`]: '0',
      [`${p}_METRICS_PORT`]: '0',
      [`${p}_ENGINE_MODE`]: 'external',
      [`${p}_ENGINE_URLS`]: launch.engineUrls.join(','),
      ...launch.env,
    }),
    ready: (line) => {
      const m = pattern.exec(line);
      return m ? { url: m[1], metricsPort: m[2] } : undefined;
    },
  });
  try {
    const ready = await proc.start();
    await waitForHttp(`${ready.url}/health`, 20_000, () => proc.running);
    return { url: ready.url, metricsUrl: `http://127.0.0.1:${ready.metricsPort}/metrics`, process: proc };
  } catch (error) {
    await proc.stop(2_000);
    throw error;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
