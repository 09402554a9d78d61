import { runServiceManagerCommand, SERVICE_MANAGER_COMMANDS, SERVICE_MANAGER_USAGE } from './service-manager-cli';
import { loadConfigForCommand } from './load-config';
import { parseFlags } from './parse-flags';
import { ServiceManager } from '../services/core/service-manager/service-manager';
import { formatServiceTable } from './services-table';
import { UsageError } from './usage-error';

export const SERVICES_USAGE = SERVICE_MANAGER_USAGE.replace(
  'Commands:\n',
  'Commands:\n  list [--json]          the configured services: port, metrics port, memory, cores, context, engine\n',
);

export async function runServicesCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    process.stdout.write(SERVICES_USAGE + '\n');
    return sub ? 0 : 2;
  }
  if (sub === 'list') {
    const { values, positionals } = parseFlags(rest, { json: { type: 'boolean' }, 'config-dir': { type: 'string' } }, SERVICES_USAGE);
    if (values.help) return help();
    if (positionals.length) throw new UsageError(`services list takes no arguments (got ${positionals.join(' ')})`, SERVICES_USAGE);
    const config = loadConfigForCommand({ configDir: values['config-dir'] as string | undefined });
    // Seed 1.1's ServiceManager.listServices().
    const rows = new ServiceManager(config).listServices();
    process.stdout.write((values.json ? JSON.stringify(rows, null, 2) : formatServiceTable(rows)) + '\n');
    return 0;
  }
  if ((SERVICE_MANAGER_COMMANDS as readonly string[]).includes(sub)) return runServiceManagerCommand(sub, rest);
  throw new UsageError(`unknown services command "${sub}"`, SERVICES_USAGE);
}

function help(): number {
  process.stdout.write(SERVICES_USAGE + '\n');
  return 0;
}
