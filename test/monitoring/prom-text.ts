import { spawnSync } from 'node:child_process';

/** Fetches a listener's Prometheus text. */
export async function scrape(url: string, path = '/metrics'): Promise<string> {
  const res = await fetch(`${url}${path}`);
  if (res.status !== 200) throw new Error(`${url}${path} answered ${res.status}`);
  return res.text();
}

/** The sample lines (no comments, no blanks), optionally only those of families starting with `prefix`. */
export function sampleLines(text: string, prefix = ''): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#') && l.startsWith(prefix));
}

/** The value of the one sample `name{labels}` (labels in any order; all given must match), or undefined. */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of sampleLines(text, name)) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: string[] = (m[3] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? [];
    if (wanted.every((w) => have.includes(w))) return Number(m[4]);
  }
  return undefined;
}

/** The sum of every sample of `name` matching `labels`. */
export function sampleSum(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of sampleLines(text, name)) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (wanted.every((w) => (m[3] ?? '').includes(w))) sum += Number(m[4]);
  }
  return sum;
}

/** promtool from the Debian package `prometheus`; tests that need it are skipped (and say so) without it. */
export const PROMTOOL = spawnSync('promtool', ['--version']).status === 0 ? 'promtool' : undefined;
export const PROMETHEUS = spawnSync('prometheus', ['--version']).status === 0 ? 'prometheus' : undefined;

/** `promtool check metrics` on an exposition: its exit status and output. */
export function promtoolCheckMetrics(text: string): { ok: boolean; output: string } {
  const r = spawnSync(PROMTOOL!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}

/** `describe`, or `describe.skip` with a warning naming the missing tool. */
export function describeWith(tool: string | undefined, name: string): jest.Describe {
  if (tool) return describe;
  console.warn(`${name} is not installed: its checks are skipped (Debian package "prometheus")`);
  return describe.skip;
}
