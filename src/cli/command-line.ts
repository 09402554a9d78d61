/**
 * The command line's grammar and help, on commander: every command (serve, services, sim, bench
 * and its harnesses) declares its options here-and-now with a description, commander parses them
 * and writes the help from them. Commander reports, the command decides: parsing never prints or
 * exits, a bad command line becomes a UsageError carrying the generated help (exit code 2), and
 * the values (kept as strings) are checked by each command with its own messages.
 */
import { Command, CommanderError } from 'commander';
import { UsageError } from './usage-error';

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** A command that neither prints nor exits on its own: for `parseCommand`. */
export function cliCommand(name: string, description: string): Command {
  return new Command(name)
    // One paragraph: commander wraps it to the help's width.
    .description(description.replace(/\s*\n\s*/g, ' '))
    .helpOption('-h, --help', 'this help')
    .helpCommand(false)
    // The same help whatever the terminal (tests compare it).
    .configureHelp({ helpWidth: 100 })
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    // Positionals are checked by each command, with its own message.
    .allowExcessArguments(true)
    .showSuggestionAfterError(true);
}

/** The help commander writes for `command` (with its added text), without a trailing newline. */
export function helpText(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (chunk) => (text += chunk), writeErr: () => undefined });
  command.outputHelp();
  return text.trimEnd();
}

/** What commander's error says, in the words of this CLI (`--hang takes no value`, `--model needs a value`). */
export function usageMessage(error: CommanderError): string {
  const message = error.message.replace(/^error: /, '');
  if (error.code === 'commander.optionMissingArgument') {
    const flag = /option '(-[^ ',]+)/.exec(message)?.[1];
    if (flag) return `${flag} needs a value`;
  }
  if (error.code === 'commander.unknownOption') {
    const withValue = /unknown option '(--[^=']+)=/.exec(message)?.[1];
    if (withValue) return `${withValue} takes no value`;
  }
  return message;
}

/**
 * Parses `argv` (the arguments after the command's name) with `command`'s options. Resolves
 * 'help' for -h/--help. Throws a UsageError with the generated help on an unknown option or a
 * missing value; `capitalise` keeps the messages of commands that always began with a capital.
 */
export function parseCommand(command: Command, argv: readonly string[], capitalise = true): { values: OptionValues; positionals: string[] } | 'help' {
  try {
    command.parse([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return 'help';
    const message = usageMessage(error);
    throw new UsageError(capitalise ? message[0].toUpperCase() + message.slice(1) : message, helpText(command));
  }
  // Commander names values in camelCase; the commands read them by their flags' names.
  const byFlag: OptionValues = {};
  for (const option of command.options) byFlag[option.long!.replace(/^--/, '')] = command.getOptionValue(option.attributeName());
  return { values: byFlag, positionals: [...command.args] };
}
