import { ConfigValidationError } from '../config/config-problem';
import { runServeCommand, SERVE_USAGE } from './serve-command';
import { runServicesCommand, SERVICES_USAGE } from './services-command';
import { runSimCli, SIM_CLI_USAGE } from './sim-command';
import { BENCH_USAGE, runBenchCommand } from './bench-command';
import { UsageError } from './usage-error';
import { programVersion } from './version';

export const MAIN_USAGE = `Usage: citadel-llm <command> [options]

Commands:
  serve [model...]      serve all enabled models and the gateway, or only the named models
  services <command>    list, render, install, validate and control the systemd services
  sim                   run the vLLM simulator
  bench <harness>       benchmarks and certification

Run "citadel-llm <command> --help" for a command's options; "citadel-llm --version" names the
program's version and the Node.js it runs on.`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; usage: string }> = {
  serve: { run: runServeCommand, usage: SERVE_USAGE },
  services: { run: runServicesCommand, usage: SERVICES_USAGE },
  sim: { run: runSimCli, usage: SIM_CLI_USAGE },
  bench: { run: runBenchCommand, usage: BENCH_USAGE },
};

/** Runs one command line and resolves its exit code: 0 ok, 1 failure, 2 usage or configuration error. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(MAIN_USAGE + '\n');
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${programVersion()}\n`);
    return 0;
  }
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`citadel-llm: ${name ? `unknown command "${name}"` : 'a command is required'}\n\n${MAIN_USAGE}\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`citadel-llm ${name}: ${error.message}\n\n${error.usage}\n`);
      return 2;
    }
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`citadel-llm ${name}: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`citadel-llm ${name}: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
