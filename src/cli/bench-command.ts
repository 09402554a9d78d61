import { UsageError } from './usage-error';

export const BENCH_USAGE = `Usage: citadel-llm bench <harness> [options]

Harnesses:
  certify    TC-L1-COMP-MIXTRAL-003 for any model (latency, throughput, concurrency, quality)
  load       TC-L3-PERF-LOAD-001 constant-arrival-rate load
  overhead   the gateway's own cost: direct vs gateway vs nginx, side by side

No harness is built into this version yet.`;

export async function runBenchCommand(argv: string[]): Promise<number> {
  const [harness] = argv;
  if (!harness || harness === '--help' || harness === '-h') {
    process.stdout.write(BENCH_USAGE + '\n');
    return harness ? 0 : 2;
  }
  throw new UsageError(`the "${harness}" harness is not available in this version`, BENCH_USAGE);
}
