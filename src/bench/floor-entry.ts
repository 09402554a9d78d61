/**
 * A framework floor (framework-floors.ts) as its own process, so that its CPU time can be read
 * from /proc like the other paths': `node floor-entry.js <node-parse|fastify|nest> '["http://upstream",...]'`.
 * Prints `{"event":"ready","url":...}` when listening; stops on SIGTERM or SIGINT.
 */
import { FLOOR_NAMES, isFloorName, startFrameworkFloor } from './framework-floors';

async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  if (!isFloorName(name)) throw new Error(`unknown floor "${name}" (known: ${FLOOR_NAMES.join(', ')})`);
  const upstreams = JSON.parse(process.argv[3] ?? '') as string[];
  const proxy = await startFrameworkFloor(name, upstreams);
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
    process.stderr.write(`framework floor: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  });
}
