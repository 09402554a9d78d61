/** Plain-text and Markdown tables for the harnesses' output. */

export type Cell = string | number | undefined;

function text(cell: Cell): string {
  return cell === undefined ? '–' : String(cell);
}

/** Columns padded to their widest cell, two spaces apart; numbers right-aligned. */
export function renderTextTable(headers: string[], rows: Cell[][]): string {
  const all = [headers, ...rows.map((r) => r.map(text))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === undefined));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(r.map(text)))].join('\n') + '\n';
}

/** A GitHub-flavoured Markdown table (pipes in cells escaped). */
export function renderMarkdownTable(headers: string[], rows: Cell[][], align?: ('l' | 'r')[]): string {
  const esc = (c: Cell) => text(c).replace(/\|/g, '\\|');
  const sep = headers.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [headers.map(esc), sep, ...rows.map((r) => r.map(esc))].map((cells) => `| ${cells.join(' | ')} |`).join('\n') + '\n';
}
