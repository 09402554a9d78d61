/**
 * Runs a load job in a separate Node process (src/bench/load-worker.ts, compiled) and resolves
 * its result.
 */
import { fork } from 'node:child_process';
import { compiledBenchFile } from './compiled-file';
import type { IdleHolding, LoadJob, LoadResult, WorkerMessage } from './load-jobs';

export interface WorkerHooks {
  /** Idle streams: all are open; call `release` to end them. */
  onHolding?: (holding: IdleHolding, release: () => void) => void;
}

export function runLoadWorker(job: LoadJob, hooks: WorkerHooks = {}): Promise<LoadResult> {
  const child = fork(compiledBenchFile('load-worker'), [], {
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return new Promise<LoadResult>((resolveResult, reject) => {
    let outcome: { result?: LoadResult; error?: Error } | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    // Settles once the process is gone, so that nothing outlives the measurement.
    const finish = (next: { result?: LoadResult; error?: Error }) => {
      outcome ??= next;
      if (child.connected) child.disconnect();
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), 5_000);
    };
    child.on('message', (message: WorkerMessage) => {
      if (message.event === 'holding') {
        hooks.onHolding?.(message, () => {
          if (child.connected) child.send({ release: true });
        });
      } else if (message.event === 'result') {
        finish({ result: message.result });
      } else if (message.event === 'error') {
        finish({ error: new Error(`the load generator failed: ${message.message}`) });
      }
    });
    child.once('error', (error) => finish({ error }));
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      clearTimeout(killTimer);
      const final = outcome ?? { error: new Error(`the load generator exited (${signal ?? code}) before answering`) };
      if (final.error) reject(final.error);
      else resolveResult(final.result as LoadResult);
    });
    child.send({ job });
  });
}
