export interface RetryOptions {
  /** Attempts in all, the first one included (1 = never retry). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Retries allowed as a share of requests (0.2 = at most 20% extra load), plus a small reserve. */
  budgetRatio: number;
}

/**
 * Retries share a budget so that a failing engine is not hit with a multiple of its load:
 * every request earns `budgetRatio` of a retry, every retry spends one, and the balance is
 * capped so a long quiet spell does not save up a storm.
 *
 * Deliberately ours, not a retry library's: the budget is shared by every request to one engine,
 * retries prefer another replica and stop once a byte has reached the client — rules of this
 * gateway's request path that generic per-call retry helpers do not express.
 */
export class RetryBudget {
  private balance: number;
  private readonly cap: number;

  constructor(private readonly ratio: number, reserve = 10) {
    this.cap = reserve;
    this.balance = reserve;
  }

  /** A request was made. */
  deposit(): void {
    this.balance = Math.min(this.cap, this.balance + this.ratio);
  }

  /** Takes one retry from the budget; false when none is left. */
  withdraw(): boolean {
    if (this.balance < 1) return false;
    this.balance -= 1;
    return true;
  }
}

/** Capped exponential backoff with full jitter: a random delay in [0, min(max, base·2^n)). */
export function backoffDelay(retry: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/** Statuses from an engine that another attempt may fix (nothing was generated for them). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503;
}

/** Waits, unless the signal aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The engine's response headers that reach the client, on every path (JSON, a stream refused
 * with JSON, a fallback's answer): `retry-after` (the OpenAI SDKs pace their retries by it) and
 * `x-request-id`. Nothing else an engine sends is relayed.
 */
export const RELAYED_HEADERS = ['retry-after', 'x-request-id'] as const;

/** The relayed headers of an engine's response, from undici's header object. */
export function relayedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RELAYED_HEADERS) {
    const value = headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value[0] : value;
  }
  return out;
}

/**
 * How long a `Retry-After` value asks to wait, in ms: delta-seconds or an HTTP-date (RFC 9110
 * §10.2.3); undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
