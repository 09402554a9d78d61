import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, dirname, isAbsolute, join } from 'node:path';

/**
 * Small questions the pre-start checks ask the host. Each is its own function so that tests
 * can answer them instead (no GPU here, memory varies).
 */
export interface HostProbes {
  /** Memory of each GPU in MiB, or undefined when unknown (no nvidia-smi, no driver). */
  gpuMemoryMiB(): Promise<number[] | undefined>;
  /** MemAvailable from /proc/meminfo in bytes, or undefined when unreadable. */
  memAvailableBytes(): Promise<number | undefined>;
  /** The absolute path of an executable (a bare name is looked up on PATH), or undefined. */
  findExecutable(name: string): Promise<string | undefined>;
}

export interface SystemProbeOptions {
  /** PATH to search (default: this process's). */
  pathEnv?: string;
  meminfoPath?: string;
  nvidiaSmi?: string;
}

export class SystemProbes implements HostProbes {
  constructor(private readonly options: SystemProbeOptions = {}) {}

  gpuMemoryMiB(): Promise<number[] | undefined> {
    const args = ['--query-gpu=memory.total', '--format=csv,noheader,nounits'];
    return new Promise((resolve) => {
      execFile(this.options.nvidiaSmi ?? 'nvidia-smi', args, { timeout: 15_000, encoding: 'utf8' }, (error, stdout) => {
        if (error) return resolve(undefined);
        const values = stdout
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)
          .map(Number);
        resolve(values.length && values.every((v) => Number.isFinite(v) && v > 0) ? values : undefined);
      });
    });
  }

  async memAvailableBytes(): Promise<number | undefined> {
    try {
      const text = await readFile(this.options.meminfoPath ?? '/proc/meminfo', 'utf8');
      const kib = /^MemAvailable:\s+(\d+)\s*kB/m.exec(text)?.[1];
      return kib === undefined ? undefined : Number(kib) * 1024;
    } catch {
      return undefined;
    }
  }

  async findExecutable(name: string): Promise<string | undefined> {
    const candidates = name.includes('/')
      ? [name]
      : (this.options.pathEnv ?? process.env.PATH ?? '')
          .split(delimiter)
          .filter((dir) => dir && isAbsolute(dir))
          .map((dir) => join(dir, name));
    for (const candidate of candidates) {
      try {
        if (!(await stat(candidate)).isFile()) continue;
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
    return undefined;
  }
}

/**
 * Binds host:port and closes again. Resolves undefined when the port is free, else the error code
 * (EADDRINUSE, EACCES, EADDRNOTAVAIL ...). Free now does not mean free a moment later.
 */
export function tryBind(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** Creates the folder when missing and proves it writable by creating and removing a file. */
export async function ensureWritableDir(dir: string): Promise<{ created: boolean; error?: string }> {
  let created = false;
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) return { created, error: 'exists but is not a directory' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return { created, error: (error as Error).message };
    try {
      await makeDirectories(dir);
      created = true;
    } catch (mkdirError) {
      return { created, error: `missing and cannot be created: ${(mkdirError as NodeJS.ErrnoException).code ?? (mkdirError as Error).message}` };
    }
  }
  const probe = join(dir, `.citadel-write-check-${process.pid}`);
  try {
    await writeFile(probe, '');
    await unlink(probe);
    return { created };
  } catch (error) {
    return { created, error: `not writable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
}

/**
 * `mkdir -p` one level at a time. Node's recursive mkdir never settles for a path below /proc
 * (mkdir answers ENOENT there although the parent exists), so it is not used for paths from config.
 */
export async function makeDirectories(dir: string, mode?: number): Promise<void> {
  const missing: string[] = [];
  let current = dir;
  while (true) {
    try {
      await stat(current);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      missing.unshift(current);
      const parent = dirname(current);
      if (parent === current) break;
      current = parent;
    }
  }
  for (const path of missing) {
    try {
      // Folders above the one asked for get the default mode.
      await mkdir(path, mode === undefined || path !== dir ? undefined : { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
