import { IsDefined } from 'class-validator';
import { CustomRule } from './custom-rule';
import { SamplingParamsDto } from './sampling-params.dto';

const isTokens = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((t) => Number.isInteger(t) && (t as number) >= 0);

/** OpenAI's prompt: a non-empty string, a list of strings, a list of token ids, or a list of those. */
const IsPrompt = () =>
  CustomRule(
    'isPrompt',
    'prompt must be a non-empty string, a list of strings, or a list of token ids',
    (value) =>
      (typeof value === 'string' && value.length > 0) ||
      (Array.isArray(value) && value.length > 0 && (value.every((s) => typeof s === 'string') || isTokens(value) || value.every(isTokens))),
  );

export class CompletionRequestDto extends SamplingParamsDto {
  @IsDefined({ message: 'prompt is required' }) @IsPrompt()
  prompt!: string | string[] | number[] | number[][];
}
