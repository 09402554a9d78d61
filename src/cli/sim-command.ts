import { runSimCommand, SIM_USAGE } from '../simulator/sim-cli';
import { simulatorModelFromConfig } from '../simulator/model-from-config';
import { loadCitadelConfig } from '../config/config-loader';
import { MODEL_IDS } from '../config/model-ids';

export const SIM_CLI_USAGE = SIM_USAGE;

/**
 * Given by `serve` to its simulator children. They run in their own process group, so a Ctrl-C
 * in the terminal does not reach them (the server drains its requests first, then stops them);
 * this flag makes them follow their parent instead: when the parent's end of the stdin pipe
 * closes, which happens however the parent ended (SIGKILL included), the simulator stops.
 */
export const EXIT_WITH_PARENT = '--exit-with-parent';

export async function runSimCli(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) return runSimCommand(argv, {});
  const followParent = argv.includes(EXIT_WITH_PARENT);
  const parentGone = new AbortController();
  if (followParent) {
    argv = argv.filter((arg) => arg !== EXIT_WITH_PARENT);
    process.stdin.once('close', () => parentGone.abort());
    process.stdin.on('data', () => undefined).resume();
  }
  // Every model is offered, enabled or not: the simulator may stand in for any of them. Its
  // allocation warnings are the server's business, not the simulator's.
  const config = loadCitadelConfig({ only: [...MODEL_IDS] });
  const models = Object.fromEntries(config.models.map((m) => [m.id, simulatorModelFromConfig(m)]));
  const code = await runSimCommand(argv, models, { signal: parentGone.signal });
  // stdin was only watched, not read for input: let it go so the process can end.
  if (followParent) process.stdin.destroy();
  return code;
}
