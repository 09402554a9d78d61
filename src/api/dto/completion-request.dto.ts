import { IsBoolean, IsDefined, IsInt, IsOptional, Max, Min, registerDecorator } from 'class-validator';
import { SamplingParamsDto } from './sampling-params.dto';

/** OpenAI's prompt: a non-empty string, a list of strings, a list of token ids, or a list of those. */
function IsPrompt(): PropertyDecorator {
  const isTokens = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((t) => Number.isInteger(t) && (t as number) >= 0);
  return (target, propertyName) =>
    registerDecorator({
      name: 'isPrompt',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: 'prompt must be a non-empty string, a list of strings, or a list of token ids' },
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'string' && value.length > 0) ||
          (Array.isArray(value) && value.length > 0 && (value.every((s) => typeof s === 'string') || isTokens(value) || value.every(isTokens))),
      },
    });
}

export class CompletionRequestDto extends SamplingParamsDto {
  @IsDefined({ message: 'prompt is required' }) @IsPrompt()
  prompt!: string | string[] | number[] | number[][];

  @IsOptional() @IsBoolean({ message: 'echo must be a boolean' })
  echo?: boolean;

  @IsOptional() @IsInt({ message: 'logprobs must be an integer' }) @Min(0, { message: 'logprobs must be between 0 and 5' }) @Max(5, { message: 'logprobs must be between 0 and 5' })
  logprobs?: number;
}
