/**
 * Samples out of the Prometheus text exposition format, parsed by parse-prometheus-text-format.
 * One reader for the benchmarks and the tests. It is lenient (a malformed value reads as NaN):
 * the tests check expositions with promtool, not with this.
 *
 * Read as samples, not as families: the package folds a histogram's or a summary's lines into
 * one family and, when its series have labels, drops the labels and the `_sum` and `_count`
 * (yunyu/parse-prometheus-text-format#13). So their `# TYPE` lines are left out before parsing,
 * and every line comes back as the sample it is on the wire (`name_bucket{le=...}`, `name_count`).
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const GROUPED_TYPE = /^#\s*TYPE\s+\S+\s+(histogram|summary)\s*$/;

function numberOf(raw: string | undefined): number {
  return raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
}

export function parsePrometheusText(text: string): PromSample[] {
  const ungrouped = text
    .split('\n')
    .filter((line) => !GROUPED_TYPE.test(line))
    .join('\n');
  // The format ends every line with a line feed; the package skips a last line without one.
  const families = parsePrometheusTextFormat(ungrouped.endsWith('\n') ? ungrouped : `${ungrouped}\n`);
  return families.flatMap((family) => family.metrics.map((m) => ({ name: family.name, labels: m.labels ?? {}, value: numberOf(m.value) })));
}

/** Samples named `name` whose labels include `labels`. */
export function samplesOf(samples: readonly PromSample[], name: string, labels: Record<string, string> = {}): PromSample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The value of the first sample named `name` whose labels include `labels`. */
export function sampleValue(samples: readonly PromSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samplesOf(samples, name, labels)[0]?.value;
}

/** The sum of the samples named `name` whose labels include `labels` (0 when there are none). */
export function sampleSum(samples: readonly PromSample[], name: string, labels: Record<string, string> = {}): number {
  return samplesOf(samples, name, labels).reduce((sum, s) => sum + s.value, 0);
}
