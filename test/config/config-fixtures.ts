import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { CitadelConfig } from '../../src/config/citadel-config';
import { loadCitadelConfig, LoadOptions } from '../../src/config/config-loader';
import { ConfigProblem, ConfigValidationError } from '../../src/config/config-problem';

export const REPO = resolve(__dirname, '..', '..');
export const REPO_CONFIG = join(REPO, 'config');

/** Host memory large enough that the allocation warning never appears unless a test wants it. */
export const HUGE_HOST = 4 * 1024 ** 4;

/** Temporary folders made by a test file; `cleanup()` removes them all. */
export class TempDirs {
  private readonly made: string[] = [];

  /** An empty folder (no `.env`), usable as the loader's working directory. */
  empty(label = 'cwd'): string {
    const dir = mkdtempSync(join(tmpdir(), `citadel-config-${label}-`));
    this.made.push(dir);
    return dir;
  }

  /** A copy of the shipped `config/` folder that a test may edit. */
  configCopy(): string {
    const dir = join(this.empty('dir'), 'config');
    cpSync(REPO_CONFIG, dir, { recursive: true });
    return dir;
  }

  cleanup(): void {
    for (const dir of this.made.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/** Rewrites one file of a config copy (`services/phi-3-mini.yaml`, `gateway.yaml`). */
export function editConfigFile(configDir: string, file: string, edit: (text: string) => string): string {
  const path = join(configDir, file);
  const before = readFileSync(path, 'utf8');
  const after = edit(before);
  if (after === before) throw new Error(`the edit changed nothing in ${file}`);
  writeFileSync(path, after);
  return path;
}

/** Replaces exactly one occurrence of `from` (fails loudly if the fixture text is not there). */
export function replaceOnce(from: string, to: string): (text: string) => string {
  return (text) => {
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`expected exactly one match of ${JSON.stringify(from)}, found ${count}`);
    return text.replace(from, to);
  };
}

/** Loads with an empty working directory, the given config folder and only the given environment. */
export function load(env: Record<string, string> = {}, options: Partial<LoadOptions> = {}): CitadelConfig {
  return loadCitadelConfig({ cwd: options.cwd ?? sharedCwd(), configDir: REPO_CONFIG, hostMemoryBytes: HUGE_HOST, env, ...options });
}

/** Runs `fn`, which must throw ConfigValidationError, and returns that error. */
export function expectConfigError(fn: () => unknown): ConfigValidationError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) throw new Error('expected ConfigValidationError, but the configuration loaded');
  expect(thrown).toBeInstanceOf(ConfigValidationError);
  return thrown as ConfigValidationError;
}

/** Finds the one problem for `key` from `source`; fails with every problem listed if there is none. */
export function problemFor(error: ConfigValidationError, source: string, key: string): ConfigProblem {
  const found = error.problems.filter((p) => p.source === source && p.key === key);
  if (found.length !== 1) {
    throw new Error(`expected one problem for ${source} ${key}, found ${found.length} in:\n${error.message}`);
  }
  return found[0];
}

/** How the loader names a file: relative to its working directory. */
export function shownPath(cwd: string, file: string): string {
  return relative(cwd, file) || file;
}

let cwdForAll: string | undefined;
const cwdDirs = new TempDirs();
// Each test file gets its own copy of this module, so this runs once per file.
afterAll(() => {
  cwdDirs.cleanup();
  cwdForAll = undefined;
});

/** One empty working directory (no `.env`) per test file. */
export function sharedCwd(): string {
  cwdForAll ??= cwdDirs.empty();
  return cwdForAll;
}

/** `obj` at a dotted path (`model.max_model_len`). */
export function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], obj);
}
