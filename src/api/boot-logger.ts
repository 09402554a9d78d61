import { LogLevel } from '@nestjs/common';
import { BatchedConsoleLogger } from './batched-console-logger';

/**
 * Nest's start-up chatter: every module initialised and every route mapped, ~20 lines per
 * listener. The server logs one line per listener instead (the address it binds), so these
 * contexts' `log` lines are dropped; their warnings and errors still show.
 */
const BOOT_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

export class BootQuietLogger extends BatchedConsoleLogger {
  constructor(levels: LogLevel[]) {
    super();
    this.setLogLevels(levels);
  }

  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && BOOT_CONTEXTS.has(context)) return;
    super.log(message, ...rest);
  }
}
