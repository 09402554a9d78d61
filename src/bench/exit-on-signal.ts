/**
 * While a harness runs, SIGINT and SIGTERM end the process through process.exit, so that the
 * 'exit' handlers of the servers it started stop them (no orphan keeps a port).
 */
export async function exitOnSignal<T>(run: () => Promise<T>): Promise<T> {
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`citadel-llm bench: ${signal}: stopping\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
