import { Logger } from '@nestjs/common';
import { nestLogLevels } from '../config/log-levels';
import { stateDirectoryFrom } from '../monitoring/service-starts';
import { ServiceOrchestrator } from '../server/service-orchestrator';
import { loadConfigForCommand } from './load-config';
import type { Command } from 'commander';
import { MODEL_IDS } from '../config/model-ids';
import { cliCommand, helpText, parseCommand } from './command-line';
import { programVersion, runtimeWarning } from './version';

function serveCommand(): Command {
  return cliCommand(
    'citadel-llm serve',
    `Serves the named models (default: every enabled one) on their ports, each with its engine,
and the gateway on :8000 when serving all of them. Stops cleanly on SIGINT or SIGTERM.`,
  )
    .argument('[model...]', MODEL_IDS.join(', '))
    .option('--config-dir <dir>', "configuration folder (default: $CITADEL_CONFIG_DIR or the package's config/)")
    .option('--host <host>', 'bind every listener to HOST instead of the configured hosts');
}

export const SERVE_USAGE = helpText(serveCommand());

/** A second signal this soon after the first is the same Ctrl-C, delivered twice. */
const REPEAT_MS = 1_000;

export async function runServeCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(serveCommand(), argv);
  if (parsed === 'help') {
    process.stdout.write(SERVE_USAGE + '\n');
    return 0;
  }
  const { values, positionals } = parsed;
  const loadOptions = { configDir: values['config-dir'] as string | undefined, only: positionals.length ? positionals : undefined };
  const config = loadConfigForCommand(loadOptions, { warn: true });
  const runtime = runtimeWarning();
  if (runtime) process.stderr.write(`citadel-llm: warning: ${runtime}\n`);
  // monitoring.log_level: the logger's level (the most verbose of the served models').
  const logLevels = nestLogLevels(config.models);
  Logger.overrideLogger(logLevels);
  // systemd sets STATE_DIRECTORY for the unit's StateDirectory= (kept across restarts): the
  // service counts its own starts there (citadel_llm_service_starts_total).
  const stateDirectory = stateDirectoryFrom(process.env.STATE_DIRECTORY);
  const orchestrator = new ServiceOrchestrator(config, { host: values.host as string | undefined, logLevels, stateDirectory });
  const logger = new Logger('Serve');
  logger.log(programVersion());

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
      const next = loadConfigForCommand(loadOptions);
      const { applied, needsRestart } = orchestrator.reload(next);
      logger.log(`SIGHUP: configuration reloaded (${applied.join(', ')})`);
      for (const change of needsRestart) logger.warn(`SIGHUP: not applied, needs a restart: ${change}`);
    } catch (error) {
      logger.error(`SIGHUP: configuration refused, the running one stays: ${(error as Error).message}`);
    }
  };
  process.on('SIGHUP', reload);
  await orchestrator.start();
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
