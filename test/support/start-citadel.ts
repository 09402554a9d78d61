import { mkdtempSync, rmSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CitadelConfig } from '../../src/config/citadel-config';
import { loadCitadelConfig } from '../../src/config/config-loader';
import { MODEL_IDS, envPrefix } from '../../src/config/model-ids';
import { ServeOptions, ServiceOrchestrator } from '../../src/server/service-orchestrator';

export const REPO = resolve(__dirname, '..', '..');

/** Every listener of every model (and the gateway) on a free loopback port. */
export function freePortsEnv(models: readonly string[] = MODEL_IDS): Record<string, string> {
  const env: Record<string, string> = { CITADEL_GATEWAY_PORT: '0' };
  for (const id of models) {
    env[`${envPrefix(id)}_PORT`] = '0';
    env[`${envPrefix(id)}_METRICS_PORT`] = '0';
  }
  return env;
}

export interface StartOptions extends ServeOptions {
  /** Serve only these models (no gateway), as `serve <model>` does. */
  only?: string[];
  /** More environment overrides (seed variable names). */
  env?: Record<string, string>;
  /** A last word on the validated config, for keys no variable overrides (e.g. monitoring.stall_timeout_seconds). */
  configure?: (config: CitadelConfig) => void;
}

/**
 * Starts the real server in this process, as `citadel-llm serve` does, with the shipped config,
 * loopback listeners on free ports and the simulator as engine (instant profile unless told).
 */
export async function startCitadel(options: StartOptions = {}): Promise<ServiceOrchestrator> {
  // An empty working directory: no stray .env file changes what the test sees.
  const cwd = mkdtempSync(join(tmpdir(), 'citadel-test-'));
  try {
    const config = loadCitadelConfig({
      cwd,
      configDir: join(REPO, 'config'),
      env: { ...freePortsEnv(options.only), ...options.env },
      only: options.only,
    });
    options.configure?.(config);
    // As `serve` does: the levels hold from the start, before any Nest app exists.
    Logger.overrideLogger(options.logLevels ?? ['error']);
    const orchestrator = new ServiceOrchestrator(config, {
      host: '127.0.0.1',
      logLevels: options.logLevels ?? ['error'],
      simulatorArgs: options.simulatorArgs ?? ['--profile', 'instant'],
      shutdownGraceMs: options.shutdownGraceMs ?? 2_000,
      stateDirectory: options.stateDirectory,
    });
    await orchestrator.start();
    return orchestrator;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
