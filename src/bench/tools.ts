/**
 * Finds the external programs the overhead harness can use (nginx, wrk) and their versions.
 * nginx usually lives in /usr/sbin, which an ordinary user's PATH may lack.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin'];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The executable's path: `name` itself when it is a path, else searched on PATH and the sbin folders. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  if (isAbsolute(name) || name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of [...path.split(delimiter).filter(Boolean), ...EXTRA_DIRS]) {
    const file = join(dir, name);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

export interface Tool {
  path: string;
  version: string;
}

/** The first line mentioning a version among the program's output for `args`. */
function versionOf(path: string, args: string[]): string {
  const r = spawnSync(path, args, { encoding: 'utf8', timeout: 5_000 });
  const text = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => /\d+\.\d+/.test(l)) ?? 'unknown version'
  );
}

export function detectNginx(nameOrPath = 'nginx'): Tool | undefined {
  const path = findExecutable(nameOrPath);
  return path ? { path, version: versionOf(path, ['-v']) } : undefined;
}

export function detectWrk(nameOrPath = 'wrk'): Tool | undefined {
  const path = findExecutable(nameOrPath);
  return path ? { path, version: versionOf(path, ['-v']) } : undefined;
}

/**
 * The closed-loop load generator of a harness (overhead, floors): wrk when installed (or named),
 * else the Node load generator, with a note saying so. `--load wrk` or a named wrk that is
 * missing is an error.
 */
export function chooseLoadGenerator(o: { load: 'auto' | 'wrk' | 'node'; wrk?: string }, find = detectWrk): { wrk?: Tool; notes: string[] } {
  if (o.load === 'node') return { notes: ['--load node: the closed-loop load comes from the Node load generator (its own process)'] };
  const wrk = find(o.wrk ?? 'wrk');
  if (wrk) return { wrk, notes: [] };
  if (o.load === 'wrk' || o.wrk) throw new Error(`wrk not found (${o.wrk ?? 'wrk'}): install it (Debian: apt-get install wrk) or use --load node`);
  return { notes: ['wrk is not installed: the closed-loop load comes from the Node load generator (its own process)'] };
}
