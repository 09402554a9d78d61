import { Logger } from '@nestjs/common';
import { CitadelConfig } from '../config/citadel-config';
import { loadCitadelConfig, LoadOptions } from '../config/config-loader';

/** Loads the configuration for a command and shows its warnings (errors propagate to the CLI). */
export function loadConfigForCommand(options: LoadOptions = {}): CitadelConfig {
  const config = loadCitadelConfig(options);
  const logger = new Logger('Config');
  for (const warning of config.warnings) logger.warn(warning);
  return config;
}
