import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CitadelConfig } from '../../src/config/citadel-config';
import { loadCitadelConfig } from '../../src/config/config-loader';
import { ModelServiceConfig } from '../../src/config/model-config';
import { SystemctlResult, SystemctlRunner } from '../../src/services/core/service-manager/systemctl-runner';

export const REPO = resolve(__dirname, '..', '..');
export const FAKE_VLLM_DIR = join(REPO, 'test', 'fixtures', 'fake-vllm');
export const FAKE_VLLM = join(FAKE_VLLM_DIR, 'vllm');
export const TINY_MODEL = join(REPO, 'test', 'fixtures', 'models', 'tiny-model');
export const SEED_TEMPLATE = join(__dirname, 'fixtures', 'seed-citadel-llm@.service');

/** A folder with no .env, so only the given environment counts. */
export const NEUTRAL_CWD = mkdtempSync(join(tmpdir(), 'citadel-cwd-'));

/** The repository's configuration with exactly these environment variables. */
export function loadConfig(env: Record<string, string> = {}, only?: string[]): CitadelConfig {
  return loadCitadelConfig({ env, cwd: NEUTRAL_CWD, only, hostMemoryBytes: 2 ** 50 });
}

export function loadModel(id: string, env: Record<string, string> = {}): ModelServiceConfig {
  const model = loadConfig(env, [id]).model(id);
  if (!model) throw new Error(`no ${id}`);
  return model;
}

const temps: string[] = [];

export function tempDir(prefix = 'citadel-sm-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Records every systemctl argv and answers with `reply` (default: success, no output). */
export class RecordingRunner extends SystemctlRunner {
  readonly calls: string[][] = [];

  constructor(private readonly reply: (args: string[]) => Partial<SystemctlResult> = () => ({})) {
    super('/nonexistent/systemctl');
  }

  override run(args: string[]): Promise<SystemctlResult> {
    this.calls.push(args);
    return Promise.resolve({ args, code: 0, stdout: '', stderr: '', ...this.reply(args) });
  }
}

/** stdout/stderr sinks for the CLI. */
export function captureOutput() {
  const sink = { out: '', err: '' };
  return {
    sink,
    deps: {
      stdout: (text: string) => {
        sink.out += text;
      },
      stderr: (text: string) => {
        sink.err += text;
      },
    },
  };
}

/** Whether a process with this pid exists (signal 0 probes without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function hasSystemdAnalyze(): boolean {
  const r = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}
