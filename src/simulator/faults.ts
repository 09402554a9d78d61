/**
 * Fault injection: the server-wide settings (CLI flags, POST /admin/faults, setFaults()) and the
 * per-request header `X-Sim-Fault: error-429|error-500|error-503|hang|hang-before-headers|
 * die-after-<K>|fail-after-<K>|stall-after-<K>|slow-<ms>` (several may be given, comma-separated). All are off by
 * default.
 *
 * - `hang` is what a stuck vLLM does: a stream gets its 200 and SSE headers at once (vLLM sends
 *   them before the first token) and then nothing; a non-streaming request gets nothing at all.
 * - `hang-before-headers` withholds even the status line: vLLM never does that, but a proxy or load
 *   balancer in front of it can.
 * - `die-after-<K>` drops the connection after K tokens (the process died).
 * - `fail-after-<K>` is an engine error after K tokens, ended as vLLM's stream generator ends it
 *   (serving_chat.py / serving_completion.py: an error event, then `data: [DONE]`).
 * - `stall-after-<K>` sends K tokens, then nothing more while the request stays running (an engine
 *   stuck mid-generation: what the relay's idle timer is for).
 */
import { createRng } from './prng';
import type { FaultSettings } from './types';

export const DEFAULT_FAULTS: Readonly<FaultSettings> = Object.freeze({
  errorRate: 0,
  errorStatus: 500,
  slowStartSeconds: 0,
  hang: false,
  hangBeforeHeaders: false,
  dieAfterTokens: 0,
  failAfterTokens: 0,
  stallAfterTokens: 0,
  engineDead: false,
});

const FAULT_KEYS = Object.keys(DEFAULT_FAULTS) as Array<keyof FaultSettings>;

/** Checks a partial FaultSettings; returns one message per problem (empty when valid). */
export function faultProblems(input: unknown): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return ['faults must be a JSON object'];
  const problems: string[] = [];
  for (const [key, v] of Object.entries(input as Record<string, unknown>)) {
    switch (key) {
      case 'errorRate':
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) problems.push('errorRate must be a number in [0, 1]');
        break;
      case 'errorStatus':
        if (v !== 429 && v !== 500 && v !== 503) problems.push('errorStatus must be 429, 500 or 503');
        break;
      case 'slowStartSeconds':
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push('slowStartSeconds must be a number >= 0');
        break;
      case 'hang':
      case 'hangBeforeHeaders':
      case 'engineDead':
        if (typeof v !== 'boolean') problems.push(`${key} must be a boolean`);
        break;
      case 'dieAfterTokens':
      case 'failAfterTokens':
      case 'stallAfterTokens':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) problems.push(`${key} must be an integer >= 0`);
        break;
      default:
        problems.push(`unknown fault setting '${key}' (known: ${FAULT_KEYS.join(', ')})`);
    }
  }
  return problems;
}

export type RequestFault =
  | { kind: 'error'; status: 429 | 500 | 503 }
  | { kind: 'hang' }
  | { kind: 'hang-before-headers' }
  | { kind: 'die'; afterTokens: number }
  | { kind: 'fail'; afterTokens: number }
  | { kind: 'stall'; afterTokens: number }
  | { kind: 'slow'; ms: number };

/** Parses an X-Sim-Fault header value; null when any part is not understood. */
export function parseFaultHeader(value: string): RequestFault[] | null {
  const faults: RequestFault[] = [];
  for (const raw of value.split(',')) {
    const part = raw.trim().toLowerCase();
    if (part === '') continue;
    let m: RegExpMatchArray | null;
    if ((m = /^error-(429|500|503)$/.exec(part))) {
      faults.push({ kind: 'error', status: Number(m[1]) as 429 | 500 | 503 });
    } else if (part === 'hang') {
      faults.push({ kind: 'hang' });
    } else if (part === 'hang-before-headers') {
      faults.push({ kind: 'hang-before-headers' });
    } else if ((m = /^die-after-(\d{1,9})$/.exec(part))) {
      faults.push({ kind: 'die', afterTokens: Number(m[1]) });
    } else if ((m = /^fail-after-(\d{1,9})$/.exec(part))) {
      faults.push({ kind: 'fail', afterTokens: Number(m[1]) });
    } else if ((m = /^stall-after-(\d{1,9})$/.exec(part))) {
      faults.push({ kind: 'stall', afterTokens: Number(m[1]) });
    } else if ((m = /^slow-(\d{1,9})$/.exec(part))) {
      faults.push({ kind: 'slow', ms: Number(m[1]) });
    } else {
      return null;
    }
  }
  return faults;
}

/** The server-wide fault settings and the slow-start clock. */
export class FaultState {
  private settings: FaultSettings;
  private slowStartUntil = 0;
  private readonly rng: () => number;

  constructor(initial: Partial<FaultSettings> | undefined, seed: number) {
    this.settings = { ...DEFAULT_FAULTS };
    this.rng = createRng(seed ^ 0x5eed);
    this.set(initial ?? {});
  }

  get(): FaultSettings {
    return { ...this.settings };
  }

  /** Applies a partial update; setting slowStartSeconds (re)starts the slow-start clock now. */
  set(partial: Partial<FaultSettings>): void {
    const problems = faultProblems(partial);
    if (problems.length > 0) throw new Error(`invalid fault settings: ${problems.join('; ')}`);
    this.settings = { ...this.settings, ...partial };
    if (partial.slowStartSeconds !== undefined) {
      this.slowStartUntil = Date.now() + partial.slowStartSeconds * 1000;
    }
  }

  /** True while /health should still answer 503 because the engine is "loading". */
  starting(): boolean {
    return this.settings.slowStartSeconds > 0 && Date.now() < this.slowStartUntil;
  }

  engineDead(): boolean {
    return this.settings.engineDead;
  }

  /** The status of an injected error for this generation request, or null. */
  drawError(): 429 | 500 | 503 | null {
    const rate = this.settings.errorRate;
    if (rate <= 0) return null;
    return rate >= 1 || this.rng() < rate ? this.settings.errorStatus : null;
  }
}
