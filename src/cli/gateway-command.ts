import { Logger } from '@nestjs/common';
import type { Command } from 'commander';
import { nestLogLevels } from '../config/log-levels';
import { MODEL_IDS } from '../config/model-ids';
import { tuneHeapForServing } from '../server/heap-tuning';
import { ServiceOrchestrator } from '../server/service-orchestrator';
import { cliCommand, helpText, parseCommand } from './command-line';
import { loadConfigForCommand } from './load-config';
import { runUntilSignalled } from './run-until-signalled';
import { programVersion, runtimeWarning } from './version';

function gatewayCommand(): Command {
  return cliCommand(
    'citadel-llm gateway',
    `Serves the gateway alone (config/gateway.yaml: port 8000) for the named models (default:
every enabled one) over their model services ("citadel-llm serve <model>"), reached over HTTP:
the URLs in gateway.services, else http://127.0.0.1:<service.port>. Stops cleanly on SIGINT or SIGTERM;
SIGHUP reloads the configuration (URLs, timeouts, API keys).`,
  )
    .argument('[model...]', MODEL_IDS.join(', '))
    .option('--config-dir <dir>', "configuration folder (default: $CITADEL_CONFIG_DIR or the package's config/)")
    .option('--host <host>', "bind the gateway to HOST instead of gateway.host");
}

export const GATEWAY_USAGE = helpText(gatewayCommand());

export async function runGatewayCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(gatewayCommand(), argv);
  if (parsed === 'help') {
    process.stdout.write(GATEWAY_USAGE + '\n');
    return 0;
  }
  const { values, positionals } = parsed;
  // Before any request: see heap-tuning.ts.
  tuneHeapForServing();
  const loadOptions = { configDir: values['config-dir'] as string | undefined, only: positionals.length ? positionals : undefined };
  // No memory warning: the models' allocations are the model services' hosts' business.
  const config = loadConfigForCommand(loadOptions);
  const runtime = runtimeWarning();
  if (runtime) process.stderr.write(`citadel-llm: warning: ${runtime}\n`);
  const logLevels = nestLogLevels(config.models);
  Logger.overrideLogger(logLevels);
  const orchestrator = new ServiceOrchestrator(config, { host: values.host as string | undefined, logLevels });
  const logger = new Logger('Gateway');
  logger.log(programVersion());
  return runUntilSignalled(orchestrator, () => orchestrator.startGatewayAlone(), () => loadConfigForCommand(loadOptions), logger);
}
