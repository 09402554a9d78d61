/** One thing wrong with the configuration: where, which key, what value, which rule. */
export interface ConfigProblem {
  source: string;
  key: string;
  value: unknown;
  rule: string;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.source}: ${p.key} = ${showValue(p.value)}: ${p.rule}`;
}

function showValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Thrown when the configuration cannot be used; the CLI prints every problem and exits 2. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(`invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` + problems.map((p) => '  ' + formatProblem(p)).join('\n'));
    this.name = 'ConfigValidationError';
  }
}
