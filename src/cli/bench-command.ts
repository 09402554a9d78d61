import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { isLoadProfileName, LOAD_PROFILES } from '../bench/arrival-schedule';
import type { CertifyCliOptions } from '../bench/certify-run';
import type { FloorsCliOptions } from '../bench/floors-run';
import { exitOnSignal } from '../bench/exit-on-signal';
import type { LifecycleOptions } from '../bench/lifecycle-harness';
import type { LoadCliOptions } from '../bench/load-run';
import type { OverheadCliOptions } from '../bench/overhead-run';
import { ConfigValidationError } from '../config/config-problem';
import { MODEL_IDS, isModelId } from '../config/model-ids';
import { cliCommand, helpText, OptionValues, parseCommand } from './command-line';
import { UsageError } from './usage-error';

/** `citadel-llm bench`: its harnesses, for the help. */
function benchCommand(): Command {
  const bench = cliCommand('citadel-llm bench', 'Benchmarks and certification.').usage('<harness> [options]');
  bench.addHelpText(
    'after',
    '\nRun "citadel-llm bench <harness> --help" for its options. Exit codes: 0 PASS (or done), 1 FAIL\n(or the run failed), 2 usage or configuration error.',
  );
  for (const [name, entry] of Object.entries(HARNESSES)) bench.command(name).summary(entry.command().summary());
  return bench;
}

/** The options certify and load share: which service, how to measure it, where reports go. */
function withServiceOptions(command: Command, model: string): Command {
  return command
    .option('--model <id>', model)
    .option('--url <url>', "the service (default http://127.0.0.1:<the model's port>); a model port, the gateway, or vLLM itself")
    .option('--start', 'start the model here for the run instead (its own process, on free loopback ports, engine: a simulator process)')
    .option('--sim-profile <p>', "with --start: config (the model's latency profile) | instant")
    .option('--pid <pid>', "memory and CPU from /proc/PID and its children (default: the service's /metrics; with --start: the processes started)")
    .option('--api-key <key>', 'sent as "Authorization: Bearer KEY"')
    .option('--config-dir <dir>', 'configuration folder')
    .option('--reports-dir <dir>', '(default reports)');
}

function certifyCommand(): Command {
  return withServiceOptions(
    cliCommand(
      'citadel-llm bench certify',
      `Runs TC-L1-COMP-MIXTRAL-003's steps against a running service: single-request latency (the
"complex" prompt), throughput of a concurrent batch, mean latency of concurrent requests, the
service's peak memory and CPU, and a heuristic answer-quality score; targets from the model's
config. Writes reports/performance_TC-L1-COMP-MIXTRAL-003_<model>_<timestamp>.json and prints a
table with PASS/FAIL per criterion. Exit 0 on PASS, 1 on FAIL.`,
    )
      .summary('TC-L1-COMP-MIXTRAL-003 for any model: latency, throughput, concurrency, resources, quality')
      .usage('--model <id> [options]'),
    `${MODEL_IDS.join(' | ')} (required)`,
  )
    .option('--requests <n>', "step 2's concurrent batch (default 50)")
    .option('--concurrency <n>', "step 3's concurrent requests (default 10)")
    .option('--max-tokens <n>', 'max_tokens of each request (default 256)')
    .option('--temperature <f>', '(default 0.7)')
    .option('--latency-target-ms <n>', 'instead of performance.target_latency_ms')
    .option('--throughput-target-rps <n>', 'instead of performance.target_throughput_rps (the seed says 50)')
    .option('--prompts <file>', 'test prompts (default bench/data/performance_test_prompts.json)')
    .option('--monitoring-url <url>', "the test case's monitoring_url: Prometheus, whose HTTP API must hold the requests, tokens and latency measured")
    .option('--monitoring-selector <matchers>', 'more PromQL label matchers for those queries, e.g. \'job="citadel-llm"\'')
    .option('--monitoring-wait <s>', 'how long to wait for Prometheus to scrape, before and after the run (default 60)')
    .option('--timeout-ms <n>', 'per request (default 120000)')
    .option('--json', 'print the report as JSON instead of the table')
    .option('--quiet', 'no progress lines');
}

function loadCommand(): Command {
  return withServiceOptions(
    cliCommand(
      'citadel-llm bench load',
      `TC-L3-PERF-LOAD-001: requests at a constant arrival rate (they leave on schedule whatever the
answers do), cycling through the test prompts. Profiles: baseline ${LOAD_PROFILES.baseline.startRps} req/s for ${LOAD_PROFILES.baseline.durationS} s; ramp
${LOAD_PROFILES.ramp.startRps} → ${LOAD_PROFILES.ramp.endRps} req/s over ${LOAD_PROFILES.ramp.durationS} s; sustained ${LOAD_PROFILES.sustained.startRps} req/s for ${LOAD_PROFILES.sustained.durationS} s. Reports the success ratio, latency
percentiles, the achieved rate and the service's memory drift; writes
reports/load_TC-L3-PERF-LOAD-001_<model>_<profile>_<timestamp>.json. Exit 0 on PASS, 1 on FAIL.`,
    )
      .summary('TC-L3-PERF-LOAD-001: constant-arrival-rate load (baseline, ramp, sustained)')
      .usage('--model <id> [--profile baseline|ramp|sustained] [options]'),
    `${MODEL_IDS.join(' | ')} (required)`,
  )
    .option('--profile <p>', 'baseline | ramp | sustained (default baseline)')
    .option('--duration <s>', 'seconds (shortens or lengthens the profile; a ramp keeps its rates)')
    .option('--max-tokens <n>', 'max_tokens of each request (default 64)')
    .option('--timeout-ms <n>', 'per request (default 60000)')
    .option('--max-in-flight <n>', 'due requests beyond this many in flight are dropped (default 1000)')
    .option('--latency-target-ms <n>', 'p95 target instead of performance.target_latency_ms')
    .option('--min-success <f>', 'success ratio to pass (default 0.99)')
    .option('--max-memory-drift-pct <f>', 'memory growth allowed from the first to the last tenth (default 10)')
    .option('--json', 'print the report as JSON instead of the table')
    .option('--quiet', 'no progress lines');
}

function overheadCommand(): Command {
  return cliCommand(
    'citadel-llm bench overhead',
    `The gateway's cost on this machine, one run, side by side: A load → simulator (instant
profile); B load → gateway model port → simulator; C load → nginx → simulator (when nginx is
installed); D load → a bare Node proxy (node:http + undici Pool, no framework) → simulator, so
that B vs D is the framework's cost on top of Node. Every server runs in its own process; load
comes from wrk (or, without it, a Node load generator in its own process). Rounds interleave the
paths at the same concurrency. Measures
max throughput, latency at c=1 and at a fixed moderate rate, streaming time to first token and
inter-chunk gap distortion, and the proxy's memory holding many idle-ish streams. Writes
overhead.md, overhead.json, overhead.svg and overhead.png to --out-dir and the raw samples to
reports/.`,
  )
    .summary("the gateway's own cost: direct vs gateway vs nginx vs bare Node, side by side")
    .option('--model <id>', 'the model port and simulator model (default mixtral-8x7b)')
    .option('--rounds <n>', 'interleaved rounds (default 3)')
    .option('--duration <s>', 'seconds per measurement (default 5)')
    .option('--warmup <s>', 'warm-up per path and phase (default 1; 0: none)')
    .option('--connections <n>', 'closed-loop concurrency for max throughput (default 64)')
    .option('--rate <n|auto>', "the fixed moderate rate, req/s (default auto: a quarter of the slowest path's max throughput in round 1)")
    .option('--max-tokens <n>', 'tokens per request/response answer (default 16)')
    .option('--stream-concurrency <n>', 'concurrent streams (default 16)')
    .option('--stream-tokens <n>', 'tokens per stream (default 64)')
    .option('--token-ms <n>', "the simulator's time between tokens when streaming (default 20)")
    .option('--idle-streams <n>', 'streams held at once for the memory figure (default 1000; 0: skip)')
    .option('--idle-token-ms <n>', 'time between tokens of those streams (default 1000)')
    .option('--hold <s>', 'how long they are held while memory is sampled (default 3)')
    .option('--load <auto|wrk|node>', 'the closed-loop load generator (default auto: wrk when installed)')
    .option('--wrk <path>', 'the wrk executable (default: found on PATH)')
    .option('--nginx <auto|off|path>', 'the reference proxy (default auto: found on PATH or /usr/sbin)')
    .option('--nginx-workers <n>', "nginx worker processes (default 1, like the gateway's one event loop)")
    .option('--out-dir <dir>', "(default the package's bench/results)")
    .option('--reports-dir <dir>', 'where the raw samples go (default reports)')
    .option('--from-raw <file>', "measure nothing: analyse a saved run's raw samples again and rewrite the files in --out-dir")
    .option('--config-dir <dir>', 'configuration folder')
    .option('--json', 'print the analysis as JSON instead of the Markdown table')
    .option('--quiet', 'no progress lines');
}

type Values = OptionValues;

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
}

/** A numeric flag, checked; undefined when absent. */
export function numberFlag(values: Values, name: string, rule: NumberRule, usage: string): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  const n = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
  const ok = Number.isFinite(n) && (!rule.integer || Number.isInteger(n)) && (rule.min === undefined || n >= rule.min) && (rule.max === undefined || n <= rule.max);
  if (!ok) {
    const what = `${rule.integer ? 'an integer' : 'a number'}${rule.min !== undefined ? ` >= ${rule.min}` : ''}${rule.max !== undefined ? ` and <= ${rule.max}` : ''}`;
    throw new UsageError(`--${name}: expected ${what}, got "${raw}"`, usage);
  }
  return n;
}

function modelFlag(values: Values, usage: string, fallback?: string): string {
  const model = str(values, 'model') ?? fallback;
  if (!model) throw new UsageError('--model is required', usage);
  if (!isModelId(model)) throw new UsageError(`--model: unknown model "${model}" (known: ${MODEL_IDS.join(', ')})`, usage);
  return model;
}

function urlFlag(values: Values, usage: string, name = 'url'): string | undefined {
  const url = str(values, name);
  if (url === undefined) return undefined;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new UsageError(`--${name}: expected an http:// URL, got "${url}"`, usage);
  }
  return url;
}

function simProfileFlag(values: Values, usage: string): 'config' | 'instant' {
  const p = str(values, 'sim-profile') ?? 'config';
  if (p !== 'config' && p !== 'instant') throw new UsageError(`--sim-profile: expected config or instant, got "${p}"`, usage);
  return p;
}

/** `--load auto|wrk|node`: the closed-loop load generator (overhead, floors). */
function loadFlag(values: Values, usage: string): 'auto' | 'wrk' | 'node' {
  const load = str(values, 'load') ?? 'auto';
  if (load !== 'auto' && load !== 'wrk' && load !== 'node') throw new UsageError(`--load: expected auto, wrk or node, got "${load}"`, usage);
  return load;
}

function noPositionals(positionals: string[], usage: string): void {
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`, usage);
}

function serviceOptions(values: Values, usage: string) {
  const url = urlFlag(values, usage);
  if (url && values.start) throw new UsageError('--url and --start exclude each other', usage);
  if (values['sim-profile'] !== undefined && !values.start) throw new UsageError('--sim-profile only applies with --start', usage);
  return {
    model: modelFlag(values, usage),
    url,
    start: values.start === true,
    simProfile: simProfileFlag(values, usage),
    pid: numberFlag(values, 'pid', { integer: true, min: 1 }, usage),
    apiKey: str(values, 'api-key'),
    configDir: str(values, 'config-dir'),
    reportsDir: str(values, 'reports-dir') ?? 'reports',
    latencyTargetMs: numberFlag(values, 'latency-target-ms', { min: 1 }, usage),
    json: values.json === true,
    quiet: values.quiet === true,
  };
}

export function parseCertifyArgs(argv: string[]): CertifyCliOptions | 'help' {
  const command = certifyCommand();
  const CERTIFY_USAGE = helpText(command);
  const parsed = parseCommand(command, argv);
  if (parsed === 'help') return 'help';
  const { values, positionals } = parsed;
  noPositionals(positionals, CERTIFY_USAGE);
  return {
    ...serviceOptions(values, CERTIFY_USAGE),
    requests: numberFlag(values, 'requests', { integer: true, min: 1, max: 100_000 }, CERTIFY_USAGE) ?? 50,
    concurrency: numberFlag(values, 'concurrency', { integer: true, min: 1, max: 100_000 }, CERTIFY_USAGE) ?? 10,
    maxTokens: numberFlag(values, 'max-tokens', { integer: true, min: 1 }, CERTIFY_USAGE) ?? 256,
    temperature: numberFlag(values, 'temperature', { min: 0, max: 2 }, CERTIFY_USAGE) ?? 0.7,
    timeoutMs: numberFlag(values, 'timeout-ms', { integer: true, min: 1 }, CERTIFY_USAGE) ?? 120_000,
    throughputTargetRps: numberFlag(values, 'throughput-target-rps', { min: 0 }, CERTIFY_USAGE),
    promptsFile: str(values, 'prompts'),
    monitoringUrl: urlFlag(values, CERTIFY_USAGE, 'monitoring-url'),
    monitoringSelector: str(values, 'monitoring-selector'),
    monitoringWaitS: numberFlag(values, 'monitoring-wait', { min: 0 }, CERTIFY_USAGE) ?? 60,
  };
}

export function parseLoadArgs(argv: string[]): LoadCliOptions | 'help' {
  const command = loadCommand();
  const LOAD_USAGE = helpText(command);
  const parsed = parseCommand(command, argv);
  if (parsed === 'help') return 'help';
  const { values, positionals } = parsed;
  noPositionals(positionals, LOAD_USAGE);
  const profile = str(values, 'profile') ?? 'baseline';
  if (!isLoadProfileName(profile)) throw new UsageError(`--profile: expected ${Object.keys(LOAD_PROFILES).join(', ')}, got "${profile}"`, LOAD_USAGE);
  return {
    ...serviceOptions(values, LOAD_USAGE),
    profile,
    durationS: numberFlag(values, 'duration', { min: 0.1 }, LOAD_USAGE),
    maxTokens: numberFlag(values, 'max-tokens', { integer: true, min: 1 }, LOAD_USAGE) ?? 64,
    timeoutMs: numberFlag(values, 'timeout-ms', { integer: true, min: 1 }, LOAD_USAGE) ?? 60_000,
    maxInFlight: numberFlag(values, 'max-in-flight', { integer: true, min: 1 }, LOAD_USAGE) ?? 1000,
    minSuccess: numberFlag(values, 'min-success', { min: 0, max: 1 }, LOAD_USAGE) ?? 0.99,
    maxMemoryDriftPct: numberFlag(values, 'max-memory-drift-pct', { min: 0 }, LOAD_USAGE) ?? 10,
  };
}

export function parseOverheadArgs(argv: string[]): OverheadCliOptions | 'help' {
  const command = overheadCommand();
  const u = helpText(command);
  const parsed = parseCommand(command, argv);
  if (parsed === 'help') return 'help';
  const { values, positionals } = parsed;
  noPositionals(positionals, u);
  const load = loadFlag(values, u);
  const rateRaw = str(values, 'rate') ?? 'auto';
  const rate = rateRaw === 'auto' ? 'auto' : (numberFlag(values, 'rate', { min: 1 }, u) as number);
  return {
    model: modelFlag(values, u, 'mixtral-8x7b'),
    rounds: numberFlag(values, 'rounds', { integer: true, min: 1, max: 100 }, u) ?? 3,
    durationS: numberFlag(values, 'duration', { min: 0.2, max: 3600 }, u) ?? 5,
    warmupS: numberFlag(values, 'warmup', { min: 0, max: 600 }, u) ?? 1,
    connections: numberFlag(values, 'connections', { integer: true, min: 1, max: 10_000 }, u) ?? 64,
    rate,
    maxTokens: numberFlag(values, 'max-tokens', { integer: true, min: 1, max: 4096 }, u) ?? 16,
    streamConcurrency: numberFlag(values, 'stream-concurrency', { integer: true, min: 1, max: 10_000 }, u) ?? 16,
    streamTokens: numberFlag(values, 'stream-tokens', { integer: true, min: 2, max: 4096 }, u) ?? 64,
    tokenMs: numberFlag(values, 'token-ms', { min: 1, max: 10_000 }, u) ?? 20,
    idleStreams: numberFlag(values, 'idle-streams', { integer: true, min: 0, max: 20_000 }, u) ?? 1000,
    idleTokenMs: numberFlag(values, 'idle-token-ms', { min: 10, max: 60_000 }, u) ?? 1000,
    holdS: numberFlag(values, 'hold', { min: 0.5, max: 600 }, u) ?? 3,
    load,
    wrk: str(values, 'wrk'),
    nginx: str(values, 'nginx') ?? 'auto',
    nginxWorkers: numberFlag(values, 'nginx-workers', { integer: true, min: 1, max: 64 }, u) ?? 1,
    outDir: str(values, 'out-dir'),
    reportsDir: str(values, 'reports-dir') ?? 'reports',
    fromRaw: str(values, 'from-raw'),
    configDir: str(values, 'config-dir'),
    json: values.json === true,
    quiet: values.quiet === true,
  };
}

function floorsCommand(): Command {
  return cliCommand(
    'citadel-llm bench floors',
    `What each layer under the gateway costs on its own, one run, side by side: D the bare Node
proxy (node:http + undici, piped); three minimal proxies that each parse the body, check it names
its model, relay the raw bytes with undici and buffer the answer — on node:http alone, as a
Fastify route, and as a NestJS controller on Fastify; and B the gateway's model port. Every proxy
runs in its own process in front of one simulator (instant profile); load from wrk (or, without
it, a Node load generator in its own process) on chat completions. Rounds interleave the paths.
Measures each proxy's CPU time per answered request (/proc) and its throughput, as medians and as
ratios to D. Writes floors.md and floors.json to --out-dir.`,
  )
    .summary('what each framework layer costs: bare Node, node:http + JSON.parse, Fastify, Nest, gateway')
    .option('--model <id>', 'the model port and simulator model (default mixtral-8x7b)')
    .option('--rounds <n>', 'interleaved rounds (default 3)')
    .option('--duration <s>', 'seconds per measurement (default 4)')
    .option('--warmup <s>', 'warm-up per path (default 1; 0: none)')
    .option('--connections <n>', 'closed-loop concurrency (default 32)')
    .option('--max-tokens <n>', 'tokens per answer (default 16)')
    .option('--load <auto|wrk|node>', 'the load generator (default auto: wrk when installed)')
    .option('--wrk <path>', 'the wrk executable (default: found on PATH)')
    .option('--out-dir <dir>', "(default the package's bench/results)")
    .option('--config-dir <dir>', 'configuration folder')
    .option('--json', 'print the analysis as JSON instead of the Markdown table')
    .option('--quiet', 'no progress lines');
}

export function parseFloorsArgs(argv: string[]): FloorsCliOptions | 'help' {
  const command = floorsCommand();
  const u = helpText(command);
  const parsed = parseCommand(command, argv);
  if (parsed === 'help') return 'help';
  const { values, positionals } = parsed;
  noPositionals(positionals, u);
  const load = loadFlag(values, u);
  return {
    model: modelFlag(values, u, 'mixtral-8x7b'),
    rounds: numberFlag(values, 'rounds', { integer: true, min: 1, max: 100 }, u) ?? 3,
    durationS: numberFlag(values, 'duration', { min: 0.2, max: 3600 }, u) ?? 4,
    warmupS: numberFlag(values, 'warmup', { min: 0, max: 600 }, u) ?? 1,
    connections: numberFlag(values, 'connections', { integer: true, min: 1, max: 10_000 }, u) ?? 32,
    maxTokens: numberFlag(values, 'max-tokens', { integer: true, min: 1, max: 4096 }, u) ?? 16,
    load,
    wrk: str(values, 'wrk'),
    outDir: str(values, 'out-dir'),
    configDir: str(values, 'config-dir'),
    json: values.json === true,
    quiet: values.quiet === true,
  };
}

function lifecycleCommand(): Command {
  return cliCommand(
    'citadel-llm bench lifecycle',
    `Seed 1.1's service timings, with the model's engine in managed mode: \`serve <model>\` started
until its first answer (target < 30 s), the engine process killed until the first answer again
(the restart with backoff), and a service restart (SIGTERM, start) until its first answer
(target < 15 s). Exit 0 when the targets are met, 1 otherwise.`,
  )
    .summary("seed 1.1's service timings with a managed engine: start, restart, engine recovery")
    .option('--model <id>', `${MODEL_IDS.join(' | ')} (default phi-3-mini)`)
    .option('--vllm <path>', 'the engine executable (default: the stand-in test/fixtures/fake-vllm/vllm, which accepts vLLM\'s flags and serves the simulator; give the real vllm on a GPU host)')
    .option('--rounds <n>', '(default 3)')
    .option('--config-dir <dir>', 'configuration folder')
    .option('--json', 'the report as JSON');
}

function parseLifecycleArgs(argv: string[]): LifecycleOptions & { json: boolean } | 'help' {
  const command = lifecycleCommand();
  const u = helpText(command);
  const parsed = parseCommand(command, argv);
  if (parsed === 'help') return 'help';
  const { values, positionals } = parsed;
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`, u);
  const model = str(values, 'model') ?? 'phi-3-mini';
  if (!isModelId(model)) throw new UsageError(`--model must be one of ${MODEL_IDS.join(', ')}`, u);
  return {
    model,
    vllm: resolve(str(values, 'vllm') ?? join(__dirname, '..', '..', 'test', 'fixtures', 'fake-vllm', 'vllm')),
    rounds: numberFlag(values, 'rounds', { integer: true, min: 1, max: 100 }, u) ?? 3,
    configDir: str(values, 'config-dir'),
    json: values.json === true,
  };
}

async function runLifecycleCli(options: LifecycleOptions & { json: boolean }): Promise<number> {
  const { lifecycleTable, runLifecycle } = await import('../bench/lifecycle-harness');
  const report = await runLifecycle({ ...options, progress: options.json ? undefined : (line) => process.stderr.write(line + '\n') });
  process.stdout.write((options.json ? JSON.stringify(report, null, 2) : lifecycleTable(report)) + '\n');
  return report.median.startS < report.targets.startS && report.median.restartS < report.targets.restartS ? 0 : 1;
}

// The harnesses' code (charts, process control) is loaded only when one runs: `citadel-llm sim`
// and `serve` start without it.
const HARNESSES: Record<string, { command: () => Command; run: (argv: string[]) => Promise<number> }> = {
  certify: {
    command: certifyCommand,
    run: async (argv) => {
      const o = parseCertifyArgs(argv);
      return o === 'help' ? help(certifyCommand()) : (await import('../bench/certify-run')).runCertifyCli(o);
    },
  },
  load: {
    command: loadCommand,
    run: async (argv) => {
      const o = parseLoadArgs(argv);
      return o === 'help' ? help(loadCommand()) : (await import('../bench/load-run')).runLoadCli(o);
    },
  },
  overhead: {
    command: overheadCommand,
    run: async (argv) => {
      const o = parseOverheadArgs(argv);
      return o === 'help' ? help(overheadCommand()) : (await import('../bench/overhead-run')).runOverheadCli(o);
    },
  },
  floors: {
    command: floorsCommand,
    run: async (argv) => {
      const o = parseFloorsArgs(argv);
      return o === 'help' ? help(floorsCommand()) : (await import('../bench/floors-run')).runFloorsCli(o);
    },
  },
  lifecycle: {
    command: lifecycleCommand,
    run: async (argv) => {
      const o = parseLifecycleArgs(argv);
      return o === 'help' ? help(lifecycleCommand()) : runLifecycleCli(o);
    },
  },
};

function help(command: Command): number {
  process.stdout.write(helpText(command) + '\n');
  return 0;
}

export async function runBenchCommand(argv: string[]): Promise<number> {
  const [harness, ...rest] = argv;
  if (!harness || harness === '--help' || harness === '-h') {
    process.stdout.write(helpText(benchCommand()) + '\n');
    return harness ? 0 : 2;
  }
  const entry = HARNESSES[harness];
  if (!entry) throw new UsageError(`unknown harness "${harness}"`, helpText(benchCommand()));
  try {
    return await exitOnSignal(() => entry.run(rest));
  } catch (error) {
    // Usage and configuration errors are the dispatcher's (exit 2); a run that fails says why, exit 1.
    if (error instanceof UsageError || error instanceof ConfigValidationError) throw error;
    process.stderr.write(`citadel-llm bench ${harness}: ${(error as Error)?.message ?? String(error)}\n`);
    return 1;
  }
}
