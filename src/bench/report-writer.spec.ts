import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileTimestamp, safeNamePart, writeJsonReport } from './report-writer';
import { renderMarkdownTable, renderTextTable } from './text-table';

describe('report writer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'citadel-reports-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names reports by UTC time and never overwrites one', () => {
    const at = new Date('2025-01-18T12:03:04.567Z');
    expect(fileTimestamp(at)).toBe('20250118T120304Z');
    const first = writeJsonReport(join(dir, 'reports'), 'performance_TC-L1-COMP-MIXTRAL-003_openchat-3.5', { status: 'PASS' }, at);
    const second = writeJsonReport(join(dir, 'reports'), 'performance_TC-L1-COMP-MIXTRAL-003_openchat-3.5', { status: 'FAIL' }, at);
    expect(basename(first)).toBe('performance_TC-L1-COMP-MIXTRAL-003_openchat-3.5_20250118T120304Z.json');
    expect(basename(second)).toBe('performance_TC-L1-COMP-MIXTRAL-003_openchat-3.5_20250118T120304Z-2.json');
    expect(JSON.parse(readFileSync(first, 'utf8'))).toEqual({ status: 'PASS' });
    expect(existsSync(second)).toBe(true);
    expect(safeNamePart('a b/c:d')).toBe('a_b_c_d');
  });

  it('renders aligned text tables and Markdown tables', () => {
    expect(renderTextTable(['name', 'n'], [['a', 1], ['bbb', 22], ['c', undefined]])).toBe('name   n\n----  --\na      1\nbbb   22\nc      –\n');
    expect(renderMarkdownTable(['x', 'y'], [['a|b', 1]], ['l', 'r'])).toBe('| x | y |\n| --- | ---: |\n| a\\|b | 1 |\n');
  });
});
