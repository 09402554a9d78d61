/**
 * Kubernetes' preStop hook for a serving container (deploy/kubernetes/):
 *   node dist/cli/wait-idle.js --metrics http://127.0.0.1:<port>/metrics --settle 5 --deadline 615
 *
 * When a pod is deleted Kubernetes takes it out of its Services' endpoints and runs this hook;
 * SIGTERM comes only after the hook returns. The server's own drain on SIGTERM is short (it closes
 * its listeners and ends what is left after its grace period), so a long stream would be cut.
 * Here the server still serves as usual while new requests stop arriving: the hook waits until
 * `citadel_llm_active_requests` sums to 0 on the server's /metrics, so every stream that was
 * running ends on its own, and SIGTERM then finds nothing to cut. `--deadline` bounds the wait
 * below the pod's terminationGracePeriodSeconds, leaving the server its drain after it.
 */
import { parseArgs } from 'node:util';
import { parsePrometheusText, sampleSum } from '../bench/prometheus-text';

export interface WaitIdleOptions {
  metricsUrl: string;
  /** Seconds to wait first, for the endpoint removal to reach every proxy and load balancer. */
  settleSeconds: number;
  /** Seconds from the start after which the hook returns, idle or not. */
  deadlineSeconds: number;
  pollMs?: number;
  log?: (line: string) => void;
}

export type WaitIdleOutcome = 'idle' | 'deadline' | 'no-metrics';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Requests in flight on the server, or undefined when its /metrics cannot be read. */
async function activeRequests(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) return undefined;
    return sampleSum(parsePrometheusText(await response.text()), 'citadel_llm_active_requests');
  } catch {
    return undefined;
  }
}

export async function waitIdle(options: WaitIdleOptions): Promise<WaitIdleOutcome> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const deadline = Date.now() + options.deadlineSeconds * 1000;
  await sleep(Math.min(options.settleSeconds * 1000, Math.max(0, deadline - Date.now())));
  for (;;) {
    const active = await activeRequests(options.metricsUrl);
    // Nothing to read means nothing this hook can wait for: the server's own drain takes over.
    if (active === undefined) {
      log(`wait-idle: ${options.metricsUrl} cannot be read; not waiting`);
      return 'no-metrics';
    }
    if (active === 0) return 'idle';
    if (Date.now() >= deadline) {
      log(`wait-idle: ${active} request(s) still in flight at the deadline`);
      return 'deadline';
    }
    await sleep(Math.min(options.pollMs ?? 1_000, Math.max(0, deadline - Date.now())));
  }
}

function seconds(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`--${flag}: expected seconds >= 0, got '${raw}'`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { metrics: { type: 'string' }, settle: { type: 'string' }, deadline: { type: 'string' } },
      strict: true,
    });
    if (!values.metrics) throw new Error('--metrics <url> is required');
    await waitIdle({
      metricsUrl: values.metrics,
      settleSeconds: seconds('settle', values.settle, 5),
      deadlineSeconds: seconds('deadline', values.deadline, 30),
    });
    return 0;
  } catch (error) {
    process.stderr.write(`wait-idle: ${(error as Error).message}\n`);
    return 2;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
