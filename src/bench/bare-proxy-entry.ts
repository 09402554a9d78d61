/**
 * The bare proxy (path D) as its own process: `node bare-proxy-entry.js '["http://upstream",...]'`.
 * Prints `{"event":"ready","url":...}` when listening; stops on SIGTERM or SIGINT.
 */
import { startBareProxy } from './bare-proxy';
import { runServerEntry } from './server-entry';

if (require.main === module) {
  runServerEntry('bare proxy', async () => {
    const proxy = await startBareProxy(JSON.parse(process.argv[2] ?? '') as string[]);
    return { ready: { url: proxy.url }, close: () => proxy.close() };
  });
}
