import { runSimCommand, SIM_USAGE } from '../simulator/sim-cli';
import { simulatorModelFromConfig } from '../simulator/model-from-config';
import { loadCitadelConfig } from '../config/config-loader';
import { MODEL_IDS } from '../config/model-ids';

export const SIM_CLI_USAGE = SIM_USAGE;

export async function runSimCli(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) return runSimCommand(argv, {});
  // Every model is offered, enabled or not: the simulator may stand in for any of them. Its
  // allocation warnings are the server's business, not the simulator's.
  const config = loadCitadelConfig({ only: [...MODEL_IDS] });
  const models = Object.fromEntries(config.models.map((m) => [m.id, simulatorModelFromConfig(m)]));
  return runSimCommand(argv, models);
}
