import { CustomRule } from './custom-rule';

/** A string, or a list of at most `max` strings (OpenAI's `stop`). */
export function IsStringOrStringList(max: number, message: string): PropertyDecorator {
  return CustomRule('isStringOrStringList', message, (value) => typeof value === 'string' || (Array.isArray(value) && value.length <= max && value.every((v) => typeof v === 'string')));
}
