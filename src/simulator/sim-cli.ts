/**
 * `citadel-llm sim`: runs the simulator as its own process. When it listens it prints exactly one JSON
 * line on stdout, {"event":"ready","url":...,"port":...,"model":...}, which parents read the port
 * from; it then runs until SIGTERM/SIGINT (or the optional AbortSignal), closes and resolves 0.
 * Bad flags: a message and the usage on stderr, exit code 2. Nothing else is written to stdout.
 */
import { INSTANT_PROFILE } from './profiles';
import { startSimulator } from './sim-server';
import type { FaultSettings, SimulatorModel, SimulatorOptions } from './types';

export const SIM_USAGE = `Usage: citadel-llm sim --model <id> [options]

Runs a simulated vLLM OpenAI-compatible server (vLLM >= 0.11) for one model.

Options:
  --model <id>            model id from the configuration (required)
  --port <n>              port to listen on (default 8000, vLLM's; 0 = any free port)
  --host <h>              address to bind (default 127.0.0.1)
  --profile <p>           instant | config (default config: the model's own latency profile)
  --speed <f>             divide all delays by f (default 1)
  --output <mode>         random | echo (default random)
  --seed <n>              output seed for requests without their own seed (default 0)
  --vllm-version <v>      the vLLM version to answer as: /version, and which request fields exist
                          (default: the model's engine.vllm.version, else 0.11.0)
  --enable-auto-tool-choice
                          serve tool_choice "auto" as vLLM started with this flag (default: the
                          model's engine.vllm.enable_auto_tool_choice)
  --tool-call-parser <p>  the tool parser of auto tool choice; the simulator imitates: mistral
                          (default: the model's engine.vllm.tool_call_parser)
  --enable-responses-store
                          keep Responses API responses (vLLM: VLLM_ENABLE_RESPONSES_API_STORE=1,
                          which is also honoured)
Faults (all off by default; also settable with POST /admin/faults or the X-Sim-Fault header):
  --error-rate <f>        fraction 0..1 of generation requests answered with --error-status
  --error-status <s>      429 | 500 | 503 (default 500)
  --slow-start <seconds>  /health answers 503 (and generation 503) for this long after start
  --hang                  never finish generation requests, as a stuck vLLM: a stream gets 200
                          and its SSE headers at once, then nothing
  --hang-before-headers   never answer generation requests at all, not even the status line
                          (a stuck proxy in front of vLLM)
  --die-after <k>         drop the connection after k streamed tokens
  --fail-after <k>        fail after k tokens as vLLM's engine does: a stream ends with its error
                          event and [DONE]; a non-streaming request gets its 500
  --dead                  engine dead: 503 everywhere
  -h, --help              show this help

When listening, prints one line on stdout:
  {"event":"ready","url":"http://127.0.0.1:PORT","port":PORT,"model":"<served name>"}
`;

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
  enableResponsesStore: boolean;
  faults: Partial<FaultSettings>;
}

const VALUE_FLAGS = new Set([
  '--model',
  '--port',
  '--host',
  '--profile',
  '--speed',
  '--output',
  '--seed',
  '--vllm-version',
  '--error-rate',
  '--error-status',
  '--slow-start',
  '--die-after',
  '--fail-after',
  '--tool-call-parser',
]);
const BOOLEAN_FLAGS = new Set([
  '--hang',
  '--hang-before-headers',
  '--dead',
  '--enable-auto-tool-choice',
  '--enable-responses-store',
  '--help',
  '-h',
]);

function number(flag: string, raw: string, check: (n: number) => boolean, rule: string): number {
  const n = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`${flag}: expected ${rule}, got '${raw}'`);
  return n;
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
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i];
    let value: string | undefined;
    const eq = flag.indexOf('=');
    if (flag.startsWith('--') && eq !== -1) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    if (BOOLEAN_FLAGS.has(flag)) {
      if (value !== undefined) throw new UsageError(`${flag} takes no value`);
      if (flag === '--hang') a.faults.hang = true;
      else if (flag === '--hang-before-headers') a.faults.hangBeforeHeaders = true;
      else if (flag === '--enable-auto-tool-choice') a.enableAutoToolChoice = true;
      else if (flag === '--dead') a.faults.engineDead = true;
      else if (flag === '--enable-responses-store') a.enableResponsesStore = true;
      else a.help = true;
      continue;
    }
    if (!VALUE_FLAGS.has(flag)) throw new UsageError(`unknown option '${flag}'`);
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw new UsageError(`${flag} needs a value`);
      i += 1;
    }
    switch (flag) {
      case '--model':
        a.model = value;
        break;
      case '--port':
        a.port = number(flag, value, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'an integer 0..65535');
        break;
      case '--host':
        if (value.trim() === '') throw new UsageError('--host: expected an address');
        a.host = value;
        break;
      case '--profile':
        if (value !== 'instant' && value !== 'config') throw new UsageError(`--profile: expected instant or config, got '${value}'`);
        a.profile = value;
        break;
      case '--speed':
        a.speed = number(flag, value, (n) => n > 0, 'a number > 0');
        break;
      case '--output':
        if (value !== 'random' && value !== 'echo') throw new UsageError(`--output: expected random or echo, got '${value}'`);
        a.output = value;
        break;
      case '--seed':
        a.seed = number(flag, value, (n) => Number.isInteger(n), 'an integer');
        break;
      case '--vllm-version':
        if (value.trim() === '') throw new UsageError('--vllm-version: expected a version');
        a.vllmVersion = value;
        break;
      case '--tool-call-parser':
        if (value.trim() === '') throw new UsageError('--tool-call-parser: expected a parser name');
        a.toolCallParser = value;
        break;
      case '--error-rate':
        a.faults.errorRate = number(flag, value, (n) => n >= 0 && n <= 1, 'a number in [0, 1]');
        break;
      case '--error-status': {
        const s = number(flag, value, (n) => n === 429 || n === 500 || n === 503, '429, 500 or 503');
        a.faults.errorStatus = s as 429 | 500 | 503;
        break;
      }
      case '--slow-start':
        a.faults.slowStartSeconds = number(flag, value, (n) => n >= 0, 'a number of seconds >= 0');
        break;
      case '--die-after':
        a.faults.dieAfterTokens = number(flag, value, (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0');
        break;
      case '--fail-after':
        a.faults.failAfterTokens = number(flag, value, (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0');
        break;
    }
  }
  return a;
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
