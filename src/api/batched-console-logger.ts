import { ConsoleLogger, LogLevel } from '@nestjs/common';

/**
 * Nest's console logger, with its `log` lines written in batches: the lines logged within
 * FLUSH_MS of the first waiting one go out in one write, not one write each. A write to a pipe
 * or a file is a synchronous system call in Node, and the access log writes a line per request:
 * under load that call was a tenth of the gateway's CPU (BENCHMARKS.md, "Where the time goes").
 * The lines and their format are Nest's, unchanged; they appear at most FLUSH_MS later.
 *
 * Order is kept: a warning or an error first writes the lines still waiting. Lines still
 * waiting are written when the process exits (the `exit` event); only a SIGKILL loses them.
 */
export class BatchedConsoleLogger extends ConsoleLogger {
  private static pending: string[] = [];
  private static pendingBytes = 0;
  private static scheduled = false;
  private static exitHooked = false;
  /** A batch this large is written at once rather than when its time is up. */
  static readonly MAX_BATCH_BYTES = 64 * 1024;
  /** How long the first line of a batch may wait. */
  static readonly FLUSH_MS = 10;

  private stampSecond = -1;
  private stamp = '';

  /** Writes the waiting lines now. */
  static flush(): void {
    const lines = BatchedConsoleLogger.pending;
    if (lines.length === 0) return;
    BatchedConsoleLogger.pending = [];
    BatchedConsoleLogger.pendingBytes = 0;
    process.stdout.write(lines.length === 1 ? lines[0] : lines.join(''));
  }

  /** Nest formats the time to the second with Intl on every line: once a second is enough. */
  protected override getTimestamp(): string {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.stampSecond) {
      this.stampSecond = second;
      this.stamp = super.getTimestamp();
    }
    return this.stamp;
  }

  protected override printMessages(messages: unknown[], context = '', logLevel: LogLevel = 'log', writeStreamType?: 'stdout' | 'stderr', errorStack?: unknown, params?: Record<string, unknown>): void {
    if (logLevel !== 'log' || writeStreamType === 'stderr' || this.options.json || this.options.forceConsole || this.options.redact) {
      BatchedConsoleLogger.flush();
      super.printMessages(messages, context, logLevel, writeStreamType, errorStack, params);
      return;
    }
    // The same steps as ConsoleLogger.printMessages for a text line; only where it goes differs.
    for (const message of messages) {
      const line = this.formatMessage(logLevel, message, this.formatPid(process.pid), 'LOG'.padStart(7, ' '), this.formatContext(context), this.updateAndGetTimestampDiff(), params);
      BatchedConsoleLogger.enqueue(line);
    }
  }

  private static enqueue(line: string): void {
    BatchedConsoleLogger.pending.push(line);
    BatchedConsoleLogger.pendingBytes += line.length;
    if (BatchedConsoleLogger.pendingBytes >= BatchedConsoleLogger.MAX_BATCH_BYTES) return BatchedConsoleLogger.flush();
    if (!BatchedConsoleLogger.exitHooked) {
      BatchedConsoleLogger.exitHooked = true;
      process.once('exit', () => BatchedConsoleLogger.flush());
    }
    if (!BatchedConsoleLogger.scheduled) {
      BatchedConsoleLogger.scheduled = true;
      // Unref'd: a waiting line never keeps the process alive (the exit hook writes it).
      setTimeout(() => {
        BatchedConsoleLogger.scheduled = false;
        BatchedConsoleLogger.flush();
      }, BatchedConsoleLogger.FLUSH_MS).unref();
    }
  }
}
