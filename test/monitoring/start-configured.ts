import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CitadelConfig } from '../../src/config/citadel-config';
import { loadCitadelConfig } from '../../src/config/config-loader';
import { ServiceOrchestrator } from '../../src/orchestration/service-orchestrator';
import { freePortsEnv, REPO, StartOptions } from '../support/start-citadel';

/**
 * startCitadel, with a last word on the validated config (for keys no variable overrides,
 * e.g. monitoring.stall_timeout_seconds).
 */
export async function startConfigured(options: StartOptions & { configure?: (config: CitadelConfig) => void } = {}): Promise<ServiceOrchestrator> {
  const cwd = mkdtempSync(join(tmpdir(), 'citadel-mon-'));
  try {
    const config = loadCitadelConfig({ cwd, configDir: join(REPO, 'config'), env: { ...freePortsEnv(options.only), ...options.env }, only: options.only });
    options.configure?.(config);
    const orchestrator = new ServiceOrchestrator(config, {
      host: '127.0.0.1',
      logLevels: ['error'],
      simulatorArgs: options.simulatorArgs ?? ['--profile', 'instant'],
      shutdownGraceMs: options.shutdownGraceMs ?? 2_000,
    });
    await orchestrator.start();
    return orchestrator;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
