import { join, resolve } from 'node:path';
import { BatchedConsoleLogger } from '../../src/api/batched-console-logger';

export const REPO = resolve(__dirname, '..', '..');
export const REPO_CONFIG = join(REPO, 'config');

/** Variables the configuration reads: removed from process.env while a CLI test runs in-process. */
const CONFIG_VARIABLE = /^(CITADEL_|MIXTRAL_8X7B_|OPENCHAT_3_5_|PHI_3_MINI_|YI_34B_|VLLM_|DEFAULT_|SERVER_IP$|SERVER_HOSTNAME$)/;

/**
 * Runs `fn` with process.env holding none of the configuration's variables except `extra`,
 * then puts process.env back as it was.
 */
export async function withConfigEnv<T>(extra: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) if (CONFIG_VARIABLE.test(key)) delete process.env[key];
  Object.assign(process.env, extra);
  try {
    return await fn();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

export interface Captured<T> {
  result: T;
  stdout: string;
  stderr: string;
}

/** Runs `fn` with process.stdout/stderr writes captured (and not shown). */
export async function capture<T>(fn: () => Promise<T>): Promise<Captured<T>> {
  const out: string[] = [];
  const err: string[] = [];
  const toText = (chunk: unknown) => (typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    out.push(toText(chunk));
    return true;
  });
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    err.push(toText(chunk));
    return true;
  });
  try {
    const result = await fn();
    // The log lines `fn` wrote that still wait in their batch belong to its output.
    BatchedConsoleLogger.flush();
    return { result, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

/** The rows of `services list`'s table: columns are separated by two or more spaces. */
export function parseTable(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => line.trim().split(/ {2,}/));
}
