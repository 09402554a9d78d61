import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * A compiled src/bench file that runs as its own process (the load worker, the simulator entry):
 * this file's sibling under dist/, or dist/bench/ when running from sources (tests).
 */
export function compiledBenchFile(name: string): string {
  const sibling = resolve(__dirname, `${name}.js`);
  if (__filename.endsWith('.js') && existsSync(sibling)) return sibling;
  const built = resolve(__dirname, '..', '..', 'dist', 'bench', `${name}.js`);
  if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" first`);
  return built;
}
