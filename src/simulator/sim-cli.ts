/**
 * `citadel-llm sim`: runs the simulator as its own process. When it listens it prints exactly one JSON
 * line on stdout, {"event":"ready","url":...,"port":...,"model":...}, which parents read the port
 * from; it then runs until SIGTERM/SIGINT (or the optional AbortSignal), closes and resolves 0.
 * Bad flags: a message and the usage on stderr, exit code 2. Nothing else is written to stdout.
 */
import { Command, CommanderError, Option } from 'commander';
import { readChatTemplate } from './model-from-config';
import { INSTANT_PROFILE } from './profiles';
import { startSimulator } from './sim-server';
import type { FaultSettings, LoraModule, SimulatorModel, SimulatorOptions } from './types';

/** The command's options, on commander (which also writes the help from them). */
function simCommand(): Command {
  const faults = 'Faults (all off by default; also settable with POST /admin/faults or the X-Sim-Fault header):';
  const fault = (flags: string, description: string) => new Option(flags, description).helpGroup(faults);
  return new Command('citadel-llm sim')
    .usage('--model <id> [options]')
    .description('Runs a simulated vLLM OpenAI-compatible server (vLLM >= 0.11) for one model.')
    .option('--model <id>', 'model id from the configuration (required)')
    .option('--port <n>', "port to listen on (default 8000, vLLM's; 0 = any free port)")
    .option('--host <h>', 'address to bind (default 127.0.0.1)')
    .option('--profile <p>', "instant | config (default config: the model's own latency profile)")
    .option('--speed <f>', 'divide all delays by f (default 1)')
    .option('--output <mode>', 'random | echo (default random)')
    .option('--seed <n>', 'output seed for requests without their own seed (default 0)')
    .option('--vllm-version <v>', "the vLLM version to answer as: /version, and which request fields exist (default: the model's engine.vllm.version, else 0.11.0)")
    .option('--enable-auto-tool-choice', "serve tool_choice \"auto\" as vLLM started with this flag (default: the model's engine.vllm.enable_auto_tool_choice)")
    .option('--tool-call-parser <p>', "the tool parser of auto tool choice; the simulator imitates: mistral (default: the model's engine.vllm.tool_call_parser)")
    .option('--chat-template <file-or-template>', "vLLM's: a Jinja chat template (a file, or the template itself) instead of the model's own (default: the model's engine.vllm.chat_template)")
    .option('--enable-lora', "serve LoRA adapters (vLLM's flag; needed by --lora-modules)")
    .option('--lora-modules <modules...>', "LoRA adapters as vLLM takes them: name=path words, or JSON {\"name\":…,\"path\":…} (default: the model's model.lora_modules)")
    .option('--enable-responses-store', 'keep Responses API responses (vLLM: VLLM_ENABLE_RESPONSES_API_STORE=1, which is also honoured)')
    .addOption(fault('--error-rate <f>', 'fraction 0..1 of generation requests answered with --error-status'))
    .addOption(fault('--error-status <s>', '429 | 500 | 503 (default 500)'))
    .addOption(fault('--slow-start <seconds>', '/health answers 503 (and generation 503) for this long after start'))
    .addOption(fault('--hang', 'never finish generation requests, as a stuck vLLM: a stream gets 200 and its SSE headers at once, then nothing'))
    .addOption(fault('--hang-before-headers', 'never answer generation requests at all, not even the status line (a stuck proxy in front of vLLM)'))
    .addOption(fault('--die-after <k>', 'drop the connection after k streamed tokens'))
    .addOption(fault('--fail-after <k>', "fail after k tokens as vLLM's engine does: a stream ends with its error event and [DONE]; a non-streaming request gets its 500"))
    .addOption(fault('--stall-after <k>', 'after k tokens send nothing more and keep the request running, as an engine stuck mid-generation'))
    .addOption(fault('--dead', 'engine dead: 503 everywhere'))
    .helpOption('-h, --help', 'show this help')
    .helpCommand(false)
    .addHelpText('after', '\nWhen listening, prints one line on stdout:\n  {"event":"ready","url":"http://127.0.0.1:PORT","port":PORT,"model":"<served name>"}')
    .configureHelp({ helpWidth: 100 })
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .allowExcessArguments(true);
}

function usageText(): string {
  let text = '';
  const command = simCommand().configureOutput({ writeOut: (chunk) => (text += chunk) });
  command.outputHelp();
  return text;
}

export const SIM_USAGE = usageText();

class UsageError extends Error {}

interface ParsedArgs {
  help: boolean;
  model?: string;
  port: number;
  host: string;
  profile: 'instant' | 'config';
  speed: number;
  output: 'random' | 'echo';
  seed: number;
  vllmVersion?: string;
  enableAutoToolChoice?: boolean;
  toolCallParser?: string;
  loraModules?: LoraModule[];
  chatTemplate?: string;
  enableResponsesStore: boolean;
  faults: Partial<FaultSettings>;
}

function number(flag: string, raw: string, check: (n: number) => boolean, rule: string): number {
  const n = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`${flag}: expected ${rule}, got '${raw}'`);
  return n;
}

/** Commander's complaint in this command's words. */
function usageMessage(error: CommanderError): string {
  const message = error.message.replace(/^error: /, '');
  const missing = error.code === 'commander.optionMissingArgument' ? /option '(--[\w-]+)/.exec(message) : null;
  if (missing) return `${missing[1]} needs a value`;
  const withValue = error.code === 'commander.unknownOption' ? /unknown option '(--[\w-]+)=/.exec(message) : null;
  if (withValue) return `${withValue[1]} takes no value`;
  return message;
}

function parseArgs(argv: readonly string[]): ParsedArgs {
  const a: ParsedArgs = {
    help: false,
    port: 8000,
    host: '127.0.0.1',
    profile: 'config',
    speed: 1,
    output: 'random',
    seed: 0,
    // vLLM's own switch, read the way vLLM's envs.py reads it ("1"/"true" turn it on).
    enableResponsesStore: ['1', 'true'].includes((process.env.VLLM_ENABLE_RESPONSES_API_STORE ?? '').toLowerCase()),
    faults: {},
  };
  const command = simCommand();
  try {
    command.parse([...argv], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.code === 'commander.helpDisplayed') return { ...a, help: true };
    throw new UsageError(usageMessage(err));
  }
  if (command.args.length > 0) throw new UsageError(`unknown option '${command.args[0]}'`);
  const o = command.opts<Record<string, string | true | undefined>>();
  for (const option of command.options) {
    const value = o[option.attributeName()];
    // Commander takes the next word as a value even when it is another flag (`--model --port 1`).
    if (typeof value === 'string' && value.startsWith('--') && value.length > 2 && argv.includes(value)) throw new UsageError(`${option.long} needs a value`);
  }
  if (o.hang) a.faults.hang = true;
  if (o.hangBeforeHeaders) a.faults.hangBeforeHeaders = true;
  if (o.dead) a.faults.engineDead = true;
  if (o.enableAutoToolChoice) a.enableAutoToolChoice = true;
  if (o.enableResponsesStore) a.enableResponsesStore = true;
  const str = (name: string) => (typeof o[name] === 'string' ? (o[name] as string) : undefined);
  const model = str('model');
  if (model !== undefined) a.model = model;
  const port = str('port');
  if (port !== undefined) a.port = number('--port', port, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'an integer 0..65535');
  const host = str('host');
  if (host !== undefined) {
    if (host.trim() === '') throw new UsageError('--host: expected an address');
    a.host = host;
  }
  const profile = str('profile');
  if (profile !== undefined) {
    if (profile !== 'instant' && profile !== 'config') throw new UsageError(`--profile: expected instant or config, got '${profile}'`);
    a.profile = profile;
  }
  const speed = str('speed');
  if (speed !== undefined) a.speed = number('--speed', speed, (n) => n > 0, 'a number > 0');
  const output = str('output');
  if (output !== undefined) {
    if (output !== 'random' && output !== 'echo') throw new UsageError(`--output: expected random or echo, got '${output}'`);
    a.output = output;
  }
  const seed = str('seed');
  if (seed !== undefined) a.seed = number('--seed', seed, (n) => Number.isInteger(n), 'an integer');
  const version = str('vllmVersion');
  if (version !== undefined) {
    if (version.trim() === '') throw new UsageError('--vllm-version: expected a version');
    a.vllmVersion = version;
  }
  const parser = str('toolCallParser');
  if (parser !== undefined) {
    if (parser.trim() === '') throw new UsageError('--tool-call-parser: expected a parser name');
    a.toolCallParser = parser;
  }
  const template = str('chatTemplate');
  if (template !== undefined) {
    try {
      a.chatTemplate = readChatTemplate(template);
    } catch (error) {
      throw new UsageError(`--chat-template: ${(error as Error).message}`);
    }
  }
  const loras = o.loraModules as unknown as string[] | undefined;
  if (loras !== undefined) {
    // vLLM loads static adapters only with LoRA enabled.
    if (!o.enableLora) throw new UsageError('--lora-modules needs --enable-lora');
    a.loraModules = loras.map(parseLoraModule);
  }
  const errorRate = str('errorRate');
  if (errorRate !== undefined) a.faults.errorRate = number('--error-rate', errorRate, (n) => n >= 0 && n <= 1, 'a number in [0, 1]');
  const errorStatus = str('errorStatus');
  if (errorStatus !== undefined) a.faults.errorStatus = number('--error-status', errorStatus, (n) => n === 429 || n === 500 || n === 503, '429, 500 or 503') as 429 | 500 | 503;
  const slowStart = str('slowStart');
  if (slowStart !== undefined) a.faults.slowStartSeconds = number('--slow-start', slowStart, (n) => n >= 0, 'a number of seconds >= 0');
  const dieAfter = str('dieAfter');
  if (dieAfter !== undefined) a.faults.dieAfterTokens = number('--die-after', dieAfter, (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0');
  const failAfter = str('failAfter');
  if (failAfter !== undefined) a.faults.failAfterTokens = number('--fail-after', failAfter, (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0');
  const stallAfter = str('stallAfter');
  if (stallAfter !== undefined) a.faults.stallAfterTokens = number('--stall-after', stallAfter, (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0');
  return a;
}

/** One `--lora-modules` word, in either of vLLM's forms (cli_args.py LoRAParserAction): name=path, or JSON. */
function parseLoraModule(word: string): LoraModule {
  if (word.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(word);
    } catch {
      throw new UsageError(`--lora-modules: invalid JSON: ${word}`);
    }
    const { name, path } = (parsed ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || !name || typeof path !== 'string' || !path) throw new UsageError(`--lora-modules: ${word} needs "name" and "path"`);
    return { name, path };
  }
  const at = word.indexOf('=');
  if (at <= 0 || at === word.length - 1) throw new UsageError(`--lora-modules: expected name=path, got '${word}'`);
  return { name: word.slice(0, at), path: word.slice(at + 1) };
}

export interface RunSimOptions {
  /** Stops the simulator like SIGTERM does (for callers that run it in-process). */
  signal?: AbortSignal;
}

/** Runs `citadel-llm sim`; resolves the exit code (0 after a clean stop, 1 when it cannot listen, 2 for usage errors). */
export async function runSimCommand(
  argv: string[],
  models: Record<string, SimulatorModel>,
  opts: RunSimOptions = {},
): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(SIM_USAGE);
      return 0;
    }
    if (args.model === undefined) throw new UsageError('--model is required');
    if (!Object.prototype.hasOwnProperty.call(models, args.model)) {
      const known = Object.keys(models);
      throw new UsageError(`unknown model '${args.model}'${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`);
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`citadel-llm sim: ${err.message}\n\n${SIM_USAGE}`);
    return 2;
  }

  const configured = models[args.model];
  const model: SimulatorModel = {
    ...configured,
    ...(args.profile === 'instant' ? { profile: { ...INSTANT_PROFILE } } : {}),
    ...(args.enableAutoToolChoice ? { enableAutoToolChoice: true } : {}),
    ...(args.toolCallParser ? { toolCallParser: args.toolCallParser } : {}),
    ...(args.loraModules ? { loraModules: args.loraModules } : {}),
    ...(args.chatTemplate !== undefined ? { chatTemplate: args.chatTemplate } : {}),
  };
  const options: SimulatorOptions = {
    models: [model],
    speed: args.speed,
    instant: args.profile === 'instant',
    outputMode: args.output,
    seed: args.seed,
    faults: args.faults,
    vllmVersion: args.vllmVersion ?? configured.vllmVersion ?? '0.11.0',
    enableResponsesStore: args.enableResponsesStore,
  };

  if (opts.signal?.aborted) return 0;
  let sim;
  try {
    sim = await startSimulator(options, { port: args.port, host: args.host });
  } catch (err) {
    process.stderr.write(`citadel-llm sim: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  process.stdout.write(
    JSON.stringify({ event: 'ready', url: sim.url, port: sim.port, model: model.servedName }) + '\n',
  );

  await new Promise<void>((stop) => {
    const onStop = (): void => {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      opts.signal?.removeEventListener('abort', onStop);
      stop();
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    opts.signal?.addEventListener('abort', onStop);
    if (opts.signal?.aborted) onStop();
  });
  await sim.close();
  return 0;
}
