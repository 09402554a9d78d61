import { CitadelConfig } from '../config/citadel-config';
import { loadCitadelConfig, LoadOptions } from '../config/config-loader';

/** Loads the configuration for a command and shows its warnings (errors propagate to the CLI). */
export function loadConfigForCommand(options: LoadOptions = {}): CitadelConfig {
  const config = loadCitadelConfig(options);
  // On stderr: stdout may carry a command's output (`services list --json`).
  for (const warning of config.warnings) process.stderr.write(`citadel-llm: warning: ${warning}\n`);
  return config;
}
