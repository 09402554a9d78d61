import { criteriaRows } from './criteria';
import type { LoadTestReport } from './load-harness';
import { renderTextTable } from './text-table';

/** The load test's readable result: the figures, then one row per criterion with PASS/FAIL. */
export function renderLoadTable(report: LoadTestReport, reportFile?: string): string {
  const s = report.summary;
  const l = s.latency_ms;
  const figures = renderTextTable(
    ['figure', 'value'],
    [
      ['requests offered / sent / ok', `${s.offered_requests} / ${s.sent} / ${s.succeeded}`],
      ['offered / achieved rate', `${s.offered_rps_mean.toFixed(2)} / ${s.achieved_rps.toFixed(2)} req/s`],
      ['latency p50 / p90 / p95 / p99 / max', `${l.p50 ?? 'n/a'} / ${l.p90 ?? 'n/a'} / ${l.p95 ?? 'n/a'} / ${l.p99 ?? 'n/a'} / ${l.max ?? 'n/a'} ms`],
      ['generator lag p99', `${s.dispatch_lag_ms_p99 ?? 'n/a'} ms`],
      ['memory start → end (peak)', s.memory ? `${s.memory.start_mb} → ${s.memory.end_mb} MB (${s.memory.peak_mb} MB)` : 'not measured'],
      ['answers by status', Object.entries(report.statuses).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'],
    ],
  );
  const criteria = renderTextTable(['criterion', 'measured', 'target', 'status'], criteriaRows(report.criteria, 3));
  const p = report.profile;
  const head = `${report.test_case} — ${report.model} at ${report.url}, profile ${p.name} (${p.start_rps}${p.end_rps !== p.start_rps ? `→${p.end_rps}` : ''} req/s, ${p.duration_s} s)\n\n`;
  const errors = report.first_errors.length ? `\nerrors: ${report.first_errors.join('; ')}` : '';
  return `${head}${figures}\n${criteria}${errors}\nstatus: ${report.status}${reportFile ? `\nreport: ${reportFile}` : ''}\n`;
}
