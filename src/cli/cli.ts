import { ConfigValidationError } from '../config/config-problem';
import { runGatewayCommand } from './gateway-command';
import { runServeCommand } from './serve-command';
import { runServicesCommand } from './services-command';
import { runSimCli } from './sim-command';
import { runBenchCommand } from './bench-command';
import { cliCommand, helpText } from './command-line';
import type { Command } from 'commander';
import { UsageError } from './usage-error';
import { programVersion } from './version';

/** The top-level help, written by commander from the commands' summaries. */
function mainCommand(): Command {
  const main = cliCommand('citadel-llm', 'OpenAI-compatible server for four models on vLLM, its simulator, services and benchmarks.').usage('<command> [options]');
  main.command('serve [model...]').summary('serve all enabled models and the gateway, or only the named models');
  main.command('gateway').summary('serve the gateway alone, over model services reached by HTTP');
  main.command('services <command>').summary('list, render, install, validate and control the systemd services');
  main.command('sim').summary('run the vLLM simulator');
  main.command('bench <harness>').summary('benchmarks and certification');
  main.addHelpText('after', '\nRun "citadel-llm <command> --help" for a command\'s options; "citadel-llm --version" names the\nprogram\'s version and the Node.js it runs on.');
  return main;
}

export const MAIN_USAGE = helpText(mainCommand());

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number> }> = {
  serve: { run: runServeCommand },
  gateway: { run: runGatewayCommand },
  services: { run: runServicesCommand },
  sim: { run: runSimCli },
  bench: { run: runBenchCommand },
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
