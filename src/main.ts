import 'reflect-metadata';
import { runCli } from './cli/cli';

// The exit code is set, not forced: the process ends once every handle is closed.
runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`citadel-llm: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
