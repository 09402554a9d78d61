import { Logger } from '@nestjs/common';
import { CitadelConfig } from '../config/citadel-config';
import { ServiceOrchestrator } from '../server/service-orchestrator';

/** A second signal this soon after the first is the same Ctrl-C, delivered twice. */
const REPEAT_MS = 1_000;

/**
 * Starts a server and runs it until SIGINT or SIGTERM, then stops it (requests in flight finish
 * first); SIGHUP reloads the configuration. Shared by `serve` and `gateway`. Resolves the exit code.
 */
export async function runUntilSignalled(orchestrator: ServiceOrchestrator, start: () => Promise<void>, reloadConfig: () => CitadelConfig, logger: Logger): Promise<number> {
  // Ctrl-C in a terminal signals the whole foreground process group; under `npm start` npm gets
  // it too and forwards it, so one Ctrl-C reaches this process twice within moments. Heuristic:
  // a repeat within REPEAT_MS of the first signal is that same request; a later one means "stop
  // now". The listener stays installed until the end, so no repeat meets Node's default action
  // (which would end the process mid-drain).
  let firstAt: number | undefined;
  let onStop!: (signal: NodeJS.Signals) => void;
  const stopped = new Promise<NodeJS.Signals>((resolve) => (onStop = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      onStop(signal);
    } else if (Date.now() - firstAt > REPEAT_MS) {
      logger.warn(`${signal} again: stopping now`);
      process.exit(1);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // SIGHUP (systemd's ExecReload): re-read the config and apply what can change live; a config
  // that fails validation is refused with its reasons and the running one stays. The listener is
  // installed before the start, so a SIGHUP then never meets Node's default action (exit): it is
  // applied once the start is over.
  let started = false;
  let reloadPending = false;
  const reload = () => {
    if (!started) {
      reloadPending = true;
      return;
    }
    try {
      const next = reloadConfig();
      const { applied, needsRestart } = orchestrator.reload(next);
      logger.log(`SIGHUP: configuration reloaded (${applied.join(', ')})`);
      for (const change of needsRestart) logger.warn(`SIGHUP: not applied, needs a restart: ${change}`);
    } catch (error) {
      logger.error(`SIGHUP: configuration refused, the running one stays: ${(error as Error).message}`);
    }
  };
  process.on('SIGHUP', reload);
  await start();
  started = true;
  if (reloadPending) reload();
  const signal = await stopped;
  process.off('SIGHUP', reload);
  logger.log(`${signal}: stopping (requests in flight finish first; ${signal} again after ${REPEAT_MS / 1000} s stops at once)`);
  await orchestrator.stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  logger.log('stopped');
  return 0;
}
