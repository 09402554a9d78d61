import { Logger } from '@nestjs/common';
import { nestLogLevels } from '../config/log-levels';
import { ServiceOrchestrator } from '../server/service-orchestrator';
import { loadConfigForCommand } from './load-config';
import type { Command } from 'commander';
import { MODEL_IDS } from '../config/model-ids';
import { cliCommand, helpText, parseCommand } from './command-line';

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

export async function runServeCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(serveCommand(), argv);
  if (parsed === 'help') {
    process.stdout.write(SERVE_USAGE + '\n');
    return 0;
  }
  const { values, positionals } = parsed;
  const loadOptions = { configDir: values['config-dir'] as string | undefined, only: positionals.length ? positionals : undefined };
  const config = loadConfigForCommand(loadOptions);
  // monitoring.log_level: the logger's level (the most verbose of the served models').
  const logLevels = nestLogLevels(config.models);
  Logger.overrideLogger(logLevels);
  const orchestrator = new ServiceOrchestrator(config, { host: values.host as string | undefined, logLevels });
  const logger = new Logger('Serve');

  const stopped = new Promise<string>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => resolve(signal);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await orchestrator.start();
  // SIGHUP (systemd's ExecReload): re-read the config and apply what can change live; a config
  // that fails validation is refused with its reasons and the running one stays.
  const reload = () => {
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
  const signal = await stopped;
  process.off('SIGHUP', reload);
  logger.log(`${signal}: stopping`);
  // A second signal while stopping means "now".
  const force = () => process.exit(1);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  await orchestrator.stop();
  process.off('SIGINT', force);
  process.off('SIGTERM', force);
  logger.log('stopped');
  return 0;
}
