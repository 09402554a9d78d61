import type { LogLevel } from '@nestjs/common';
import { ModelServiceConfig } from './model-config';

type SeedLogLevel = ModelServiceConfig['monitoring']['log_level'];

/** The seeds' `monitoring.log_level` as Nest's enabled levels: each level and those above it. */
const LEVELS: Record<SeedLogLevel, LogLevel[]> = {
  DEBUG: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
  INFO: ['fatal', 'error', 'warn', 'log'],
  WARNING: ['fatal', 'error', 'warn'],
  ERROR: ['fatal', 'error'],
};

/**
 * The logger levels of a process serving these models: a process has one logger, so when it
 * serves several models (the gateway's process) the most verbose of their levels applies.
 */
export function nestLogLevels(models: readonly ModelServiceConfig[]): LogLevel[] {
  const order: SeedLogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR'];
  const level = order.find((l) => models.some((m) => m.monitoring.log_level === l)) ?? 'INFO';
  return LEVELS[level];
}
