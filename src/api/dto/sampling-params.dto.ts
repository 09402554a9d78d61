import { Nested } from './nested';
import { IsBoolean, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Max, Min, ValidateNested } from 'class-validator';
import { IsStringOrStringList } from './is-string-or-string-list';

export class StreamOptionsDto {
  @IsOptional() @IsBoolean({ message: 'stream_options.include_usage must be a boolean' })
  include_usage?: boolean;
}

/**
 * The fields both completion endpoints share, with OpenAI's ranges. Unknown fields are allowed
 * and passed through: vLLM accepts many extra sampling parameters.
 */
export class SamplingParamsDto {
  @IsOptional() @IsString({ message: 'model must be a string' })
  model?: string;

  @IsOptional() @IsInt({ message: 'max_tokens must be an integer' }) @Min(1, { message: 'max_tokens must be at least 1' })
  max_tokens?: number;

  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'temperature must be a number' })
  @Min(0, { message: 'temperature must be between 0 and 2' }) @Max(2, { message: 'temperature must be between 0 and 2' })
  temperature?: number;

  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'top_p must be a number' })
  @Min(0, { message: 'top_p must be between 0 and 1' }) @Max(1, { message: 'top_p must be between 0 and 1' })
  top_p?: number;

  @IsOptional() @IsInt({ message: 'n must be an integer' }) @Min(1, { message: 'n must be between 1 and 128' }) @Max(128, { message: 'n must be between 1 and 128' })
  n?: number;

  @IsOptional() @IsBoolean({ message: 'stream must be a boolean' })
  stream?: boolean;

  @IsOptional() @IsObject({ message: 'stream_options must be an object' }) @ValidateNested() @Nested(() => StreamOptionsDto)
  stream_options?: StreamOptionsDto;

  @IsOptional() @IsStringOrStringList(4, 'stop must be a string or a list of up to 4 strings')
  stop?: string | string[];

  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'presence_penalty must be a number' })
  @Min(-2, { message: 'presence_penalty must be between -2 and 2' }) @Max(2, { message: 'presence_penalty must be between -2 and 2' })
  presence_penalty?: number;

  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'frequency_penalty must be a number' })
  @Min(-2, { message: 'frequency_penalty must be between -2 and 2' }) @Max(2, { message: 'frequency_penalty must be between -2 and 2' })
  frequency_penalty?: number;

  @IsOptional() @IsInt({ message: 'seed must be an integer' })
  seed?: number;

  @IsOptional() @IsString({ message: 'user must be a string' })
  user?: string;
}

export const CHAT_ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const;
export const roleRule = IsIn(CHAT_ROLES as unknown as string[], { message: `role must be one of ${CHAT_ROLES.join(', ')}` });
