/**
 * Error bodies in vLLM's shape (vLLM >= 0.10.1): {"error":{"message","type","param","code"}}, where
 * `code` is the HTTP status number. Request-model validation failures (FastAPI/pydantic) use the type
 * "Bad Request" and a pydantic-style message; errors raised by vLLM's own checks use "BadRequestError".
 */

export const ERROR_TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'BadRequestError',
  404: 'NotFoundError',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  429: 'RateLimitError',
  500: 'InternalServerError',
  503: 'ServiceUnavailableError',
};

export class SimulatorError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = ERROR_TYPE_BY_STATUS[status] ?? 'InternalServerError',
    readonly param: string | null = null,
  ) {
    super(message);
  }

  toBody(): string {
    return errorBody(this.message, this.type, this.status, this.param);
  }
}

export function errorBody(message: string, type: string, code: number, param: string | null = null): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

/** Python repr() of a JSON value, as pydantic prints inputs in its messages. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
  if (typeof v === 'string') {
    const quote = v.includes("'") && !v.includes('"') ? '"' : "'";
    let out = '';
    for (const ch of v) {
      if (ch === '\\') out += '\\\\';
      else if (ch === quote) out += '\\' + ch;
      else if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else out += ch;
    }
    return quote + out + quote;
  }
  if (Array.isArray(v)) return '[' + v.map(pyRepr).join(', ') + ']';
  if (typeof v === 'object') {
    return (
      '{' +
      Object.entries(v as Record<string, unknown>)
        .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
        .join(', ') +
      '}'
    );
  }
  return pyRepr(String(v));
}

/** Python str() of a float, e.g. -1 -> "-1.0". */
export function pyFloat(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? x.toFixed(1) : String(x);
}

export interface FieldProblem {
  type: string;
  loc: ReadonlyArray<string | number>;
  msg: string;
  input: unknown;
}

/** A 400 like FastAPI's RequestValidationError as vLLM reports it. */
export function requestValidationError(problems: readonly FieldProblem[]): SimulatorError {
  const text =
    '[' +
    problems
      .map((p) => {
        const loc = p.loc.length === 1 ? `(${pyRepr(p.loc[0])},)` : `(${p.loc.map(pyRepr).join(', ')})`;
        return `{'type': ${pyRepr(p.type)}, 'loc': ${loc}, 'msg': ${pyRepr(p.msg)}, 'input': ${pyRepr(p.input)}}`;
      })
      .join(', ') +
    ']';
  return new SimulatorError(400, text, 'Bad Request');
}

export function modelNotFound(model: string): SimulatorError {
  return new SimulatorError(404, `The model \`${model}\` does not exist.`, 'NotFoundError');
}
