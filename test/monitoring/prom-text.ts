import { spawnSync } from 'node:child_process';
import { parsePrometheusText, PromSample, sampleSum as sumOf, sampleValue as valueOf } from '../../src/bench/prometheus-text';

/** Fetches a listener's Prometheus text. */
export async function scrape(url: string, path = '/metrics'): Promise<string> {
  const res = await fetch(`${url}${path}`);
  if (res.status !== 200) throw new Error(`${url}${path} answered ${res.status}`);
  return res.text();
}

/** The samples of the families whose names start with `prefix` (every sample without one). */
export function samplesWithPrefix(text: string, prefix = ''): PromSample[] {
  return parsePrometheusText(text).filter((s) => s.name.startsWith(prefix));
}

/** The value of the one sample `name{labels}` (all labels given must match), or undefined. */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return valueOf(parsePrometheusText(text), name, labels);
}

/** The sum of every sample of `name` matching `labels`. */
export function sampleSum(text: string, name: string, labels: Record<string, string> = {}): number {
  return sumOf(parsePrometheusText(text), name, labels);
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
