/**
 * The main of a benchmark server process (the simulator, the bare proxy, a framework floor): it
 * starts the server, prints the one JSON line its launcher waits for (`{"event":"ready",...}`,
 * simulator-launcher.ts's readyUrl), and closes it on SIGTERM or SIGINT; a failure to start is
 * written to stderr, exit code 1.
 */
export interface EntryServer {
  /** What the ready line carries besides `event` (at least `url`). */
  ready: { url: string } & Record<string, unknown>;
  close(): Promise<void>;
}

export function runServerEntry(label: string, start: () => Promise<EntryServer>): void {
  start().then(
    (server) => {
      process.stdout.write(JSON.stringify({ event: 'ready', ...server.ready }) + '\n');
      const stop = () => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        void server.close().then(() => process.exit(0));
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (error: unknown) => {
      process.stderr.write(`${label}: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
