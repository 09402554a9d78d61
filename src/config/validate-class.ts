import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { ConfigProblem } from './config-problem';

/**
 * Builds a typed instance from plain data and lists every broken rule as a ConfigProblem.
 * `sourceOf` names where a key's value came from (the file, or the variable that overrode it).
 */
export function validateInto<T extends object>(
  cls: new () => T,
  plain: Record<string, unknown>,
  sourceOf: (key: string) => string,
): { value: T; problems: ConfigProblem[] } {
  const value = plainToInstance(cls, plain, { exposeDefaultValues: true });
  // Unknown keys are reported too: a misspelt key would otherwise be silently ignored.
  const errors = validateSync(value, { forbidUnknownValues: true, whitelist: true, forbidNonWhitelisted: true });
  const problems: ConfigProblem[] = [];
  collect(errors, '', problems, sourceOf);
  return { value, problems };
}

function collect(errors: ValidationError[], prefix: string, out: ConfigProblem[], sourceOf: (key: string) => string): void {
  for (const error of errors) {
    const key = prefix ? `${prefix}.${error.property}` : error.property;
    if (error.constraints) {
      // One line per key: the messages of its broken rules, without repeats.
      const rules = [...new Set(Object.entries(error.constraints).map(([name, message]) => (name === 'whitelistValidation' ? 'unknown key' : message)))];
      out.push({ source: sourceOf(key), key, value: error.value, rule: rules.join('; ') });
    }
    if (error.children?.length) collect(error.children, key, out, sourceOf);
  }
}
