/**
 * The bare proxy (path D) as its own process: `node bare-proxy-entry.js '["http://upstream",...]'`.
 * Prints `{"event":"ready","url":...}` when listening; stops on SIGTERM or SIGINT.
 */
import { startBareProxy } from './bare-proxy';

async function main(): Promise<void> {
  const upstreams = JSON.parse(process.argv[2] ?? '') as string[];
  const proxy = await startBareProxy(upstreams);
  process.stdout.write(JSON.stringify({ event: 'ready', url: proxy.url }) + '\n');
  const stop = () => {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    void proxy.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`bare proxy: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  });
}
