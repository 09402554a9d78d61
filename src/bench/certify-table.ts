import type { CertifyReport } from './certify-harness';
import type { CertifyTargetFields } from './certify-evaluation';
import { criteriaRows } from './criteria';
import { renderTextTable } from './text-table';

const TARGET_NAMES: Record<keyof CertifyTargetFields, string> = {
  latency_target_ms: 'latency (ms)',
  throughput_target_rps: 'throughput (req/s)',
  quality_target: 'quality',
  memory_limit_gb: 'memory (GB)',
  cpu_limit_cores: 'CPU (cores)',
};

/** The report keeps the whole text; the table its start. */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 3)}...` : text);

/**
 * The certification's readable result: one row per criterion with PASS/FAIL, the targets with
 * where each came from (next to the test case's own), each prompt's average quality, the verdict.
 */
export function renderCertifyTable(report: CertifyReport, reportFile?: string): string {
  const head = `${report.test_case} — ${report.model} at ${report.url}\n\n`;
  const table = renderTextTable(['criterion', 'measured', 'target', 'status'], criteriaRows(report.criteria));
  const keys = Object.keys(TARGET_NAMES) as (keyof CertifyTargetFields)[];
  const targets = renderTextTable(
    ['target', 'used', 'test case', 'source'],
    keys.map((k) => [TARGET_NAMES[k], String(report.targets[k]), String(report.test_case_targets[k]), report.target_sources[k]]),
  );
  const prompts = renderTextTable(
    ['prompt', 'answers', 'mean quality', 'lowest answer lost points for'],
    report.quality_per_prompt.map((p) => [p.prompt, p.answers, p.mean_score?.toFixed(2), clip(p.worst_notes[0] ?? '', 100)]),
  );
  const tail = `\nquality: ${report.quality_method}\nfluency: ${report.fluency_method}\nstatus: ${report.status}${reportFile ? `\nreport: ${reportFile}` : ''}\n`;
  return head + table + '\n' + targets + '\n' + prompts + tail;
}
