import { CitadelConfig } from '../config/citadel-config';
import { loadCitadelConfig, LoadOptions } from '../config/config-loader';

/**
 * Loads the configuration for a command (errors propagate to the CLI). Its warnings (e.g. more
 * memory allocated than the host has) are shown only where they matter, by `serve` when it
 * starts (and `services validate`); a listing or a rendered unit is not the place.
 */
export function loadConfigForCommand(options: LoadOptions = {}, { warn = false } = {}): CitadelConfig {
  const config = loadCitadelConfig(options);
  // On stderr: stdout may carry a command's output (`services list --json`).
  if (warn) for (const warning of config.warnings) process.stderr.write(`citadel-llm: warning: ${warning}\n`);
  return config;
}
