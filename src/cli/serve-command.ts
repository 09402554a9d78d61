import { Logger } from '@nestjs/common';
import { nestLogLevels } from '../config/log-levels';
import { stateDirectoryFrom } from '../monitoring/service-starts';
import { tuneHeapForServing } from '../server/heap-tuning';
import { ServiceOrchestrator } from '../server/service-orchestrator';
import { loadConfigForCommand } from './load-config';
import type { Command } from 'commander';
import { MODEL_IDS } from '../config/model-ids';
import { cliCommand, helpText, parseCommand } from './command-line';
import { programVersion, runtimeWarning } from './version';
import { runUntilSignalled } from './run-until-signalled';

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
  // Before any request: see heap-tuning.ts.
  tuneHeapForServing();
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

  return runUntilSignalled(orchestrator, () => orchestrator.start(), () => loadConfigForCommand(loadOptions), logger);
}
