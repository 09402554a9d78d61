import { assertJsonWithinLimits, JsonLimits } from '../api/json-limits';

/** One hostile body at a limit, and what reading it costs the event loop. */
export interface HostileBodyResult {
  body: string;
  bytes: number;
  outcome: string;
  /** Median CPU time of the limit scan plus (when the scan passes) JSON.parse, one core, ms. */
  scanAndParseMs: number;
  /** Median time of JSON.parse alone on the same bytes (what the old order spent first), ms. */
  parseOnlyMs: number;
}

const LIMITS: JsonLimits = { maxDepth: 32, maxNodes: 200_000 };
const BODY_LIMIT = 4 * 1024 * 1024;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(fn: () => void, rounds: number): number {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = process.cpuUsage();
    fn();
    const used = process.cpuUsage(started);
    samples.push((used.user + used.system) / 1000);
  }
  return median(samples);
}

/** The worst body for each limit, just under the 4 MiB body limit. */
export function hostileBodies(): [string, Buffer][] {
  const half = Math.floor((BODY_LIMIT - 2) / 2);
  return [
    ['nested brackets (depth limit)', Buffer.from('['.repeat(half) + ']'.repeat(half))],
    ['nested at exactly the depth limit, padded with a string', Buffer.from(`${'['.repeat(31)}"${'x'.repeat(BODY_LIMIT - 100)}"${']'.repeat(31)}`)],
    ['values (count limit)', Buffer.from(`[${'1,'.repeat(Math.floor((BODY_LIMIT - 3) / 2))}1]`)],
    ['values at exactly the count limit', Buffer.from(`[${'1,'.repeat(LIMITS.maxNodes - 2)}1]`)],
    ['one long string (size limit)', Buffer.from(JSON.stringify({ content: 'x'.repeat(BODY_LIMIT - 20) }))],
    ['escaped quotes in a string (scanner worst case)', Buffer.from(`{"c":"${'\\"'.repeat(Math.floor((BODY_LIMIT - 10) / 2))}"}`)],
  ];
}

/** Measures the scan-then-parse order against parse alone, for each hostile body. */
export function measureHostileBodies(rounds = 7): HostileBodyResult[] {
  return hostileBodies().map(([body, bytes]) => {
    let outcome = 'accepted';
    try {
      assertJsonWithinLimits(bytes, LIMITS);
    } catch (error) {
      outcome = `refused: ${(error as { code?: string }).code}`;
    }
    const scanAndParseMs = time(() => {
      try {
        assertJsonWithinLimits(bytes, LIMITS);
        JSON.parse(bytes.toString('utf8'));
      } catch {
        /* refused before parsing */
      }
    }, rounds);
    const parseOnlyMs = time(() => {
      try {
        JSON.parse(bytes.toString('utf8'));
      } catch {
        /* a body JSON.parse cannot take */
      }
    }, rounds);
    return { body, bytes: bytes.length, outcome, scanAndParseMs, parseOnlyMs };
  });
}

if (require.main === module) {
  const rows = measureHostileBodies();
  console.log('| body | bytes | outcome | scan + parse (ms CPU) | parse alone (ms CPU) |');
  console.log('|---|---:|---|---:|---:|');
  for (const r of rows) console.log(`| ${r.body} | ${r.bytes} | ${r.outcome} | ${r.scanAndParseMs.toFixed(2)} | ${r.parseOnlyMs.toFixed(2)} |`);
}
