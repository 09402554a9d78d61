import type { CertifyReport } from './certify-harness';
import { criteriaRows } from './criteria';
import { renderTextTable } from './text-table';

/** The certification's readable result: one row per criterion with PASS/FAIL, then the verdict. */
export function renderCertifyTable(report: CertifyReport, reportFile?: string): string {
  const head = `${report.test_case} — ${report.model} at ${report.url}\n\n`;
  const table = renderTextTable(['criterion', 'measured', 'target', 'status'], criteriaRows(report.criteria));
  const tail = `\nquality: ${report.quality_method}\nstatus: ${report.status}${reportFile ? `\nreport: ${reportFile}` : ''}\n`;
  return head + table + tail;
}
