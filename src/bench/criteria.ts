/** Pass/fail criteria of a certification or load test: a measured value against a target. */

export type Comparison = '<' | '<=' | '>=' | '>';
export type Verdict = 'PASS' | 'FAIL';

export interface Criterion {
  id: string;
  description: string;
  /** Undefined when it could not be measured (which fails the criterion). */
  value?: number;
  comparison: Comparison;
  target: number;
  unit: string;
  status: Verdict;
  note?: string;
}

export function meets(value: number | undefined, comparison: Comparison, target: number): boolean {
  if (value === undefined || Number.isNaN(value)) return false;
  switch (comparison) {
    case '<':
      return value < target;
    case '<=':
      return value <= target;
    case '>=':
      return value >= target;
    case '>':
      return value > target;
  }
}

export function criterion(c: Omit<Criterion, 'status'>): Criterion {
  const status: Verdict = meets(c.value, c.comparison, c.target) ? 'PASS' : 'FAIL';
  return { ...c, status, ...(c.value === undefined && !c.note ? { note: 'not measured' } : {}) };
}

/** PASS only when every criterion passes (and there is at least one). */
export function overall(criteria: readonly Criterion[]): Verdict {
  return criteria.length > 0 && criteria.every((c) => c.status === 'PASS') ? 'PASS' : 'FAIL';
}

/** The criteria as rows: criterion, measured, target, status. */
export function criteriaRows(criteria: readonly Criterion[], digits = 2): (string | number)[][] {
  const fmt = (v: number | undefined) => (v === undefined ? 'n/a' : Number.isInteger(v) ? String(v) : v.toFixed(digits));
  return criteria.map((c) => [
    c.description,
    `${fmt(c.value)}${c.value === undefined || !c.unit ? '' : ` ${c.unit}`}`,
    `${c.comparison} ${fmt(c.target)}${c.unit ? ` ${c.unit}` : ''}`,
    c.status + (c.note ? ` (${c.note})` : ''),
  ]);
}
