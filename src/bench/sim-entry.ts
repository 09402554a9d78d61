/**
 * The simulator process the benchmarks start: the same server as `citadel-llm sim` (startSimulator),
 * with a latency profile given whole on the command line as JSON, e.g. 64 tokens 20 ms apart with
 * no slowdown per running sequence. Prints `{"event":"ready","url":...}` when listening; stops on
 * SIGTERM or SIGINT.
 */
import { startSimulator } from '../simulator/sim-server';
import type { SimulatorModel } from '../simulator/types';

export interface BenchSimulatorSpec {
  model: SimulatorModel;
  /** Zero delays (the instant profile). */
  instant: boolean;
  host: string;
  port: number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as BenchSimulatorSpec;
  const sim = await startSimulator({ models: [spec.model], instant: spec.instant }, { port: spec.port, host: spec.host });
  process.stdout.write(JSON.stringify({ event: 'ready', url: sim.url, port: sim.port, model: spec.model.servedName }) + '\n');
  const stop = () => {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench simulator: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  });
}
