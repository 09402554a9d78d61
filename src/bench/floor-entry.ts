/**
 * A framework floor (framework-floors.ts) as its own process, so that its CPU time can be read
 * from /proc like the other paths': `node floor-entry.js <node-parse|fastify|nest> '["http://upstream",...]'`.
 * Prints `{"event":"ready","url":...}` when listening; stops on SIGTERM or SIGINT.
 */
import { FLOOR_NAMES, isFloorName, startFrameworkFloor } from './framework-floors';
import { runServerEntry } from './server-entry';

if (require.main === module) {
  runServerEntry('framework floor', async () => {
    const name = process.argv[2] ?? '';
    if (!isFloorName(name)) throw new Error(`unknown floor "${name}" (known: ${FLOOR_NAMES.join(', ')})`);
    const proxy = await startFrameworkFloor(name, JSON.parse(process.argv[3] ?? '') as string[]);
    return { ready: { url: proxy.url }, close: () => proxy.close() };
  });
}
