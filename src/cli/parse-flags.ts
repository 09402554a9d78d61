import { cliCommand, parseCommand } from './command-line';
import { UsageError } from './usage-error';

type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/**
 * Strict flag parsing on commander, for a command whose help is written by hand (the services
 * command): an unknown flag or a missing value is a UsageError carrying `usage`.
 */
export function parseFlags(argv: string[], options: FlagSpec, usage: string): { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] } {
  const command = cliCommand('citadel-llm', '');
  for (const [name, spec] of Object.entries(options)) {
    const flags = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ' <value>' : ''}`;
    // A repeatable flag (--include a --include b) collects its values in order.
    if (spec.multiple) command.option(flags, '', (value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    else command.option(flags);
  }
  try {
    const parsed = parseCommand(command, argv);
    return parsed === 'help' ? { values: { help: true }, positionals: [] } : parsed;
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(error.message, usage);
    throw error;
  }
}
