/**
 * JSON text as Python's `json.dumps(value, ensure_ascii=False)` writes it (", " and ": "
 * separators), which is how vLLM serialises tool-call arguments (serving_chat.py,
 * tool_parsers/mistral_tool_parser.py) and how the simulated model writes JSON.
 */
export function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
  if (Array.isArray(value)) return '[' + value.map(pyJsonDumps).join(', ') + ']';
  if (typeof value === 'object') {
    return (
      '{' +
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${JSON.stringify(k)}: ${pyJsonDumps(v)}`)
        .join(', ') +
      '}'
    );
  }
  return JSON.stringify(String(value));
}
