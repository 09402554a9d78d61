import { Nested } from './nested';
import { IsBoolean, IsInt, IsObject, IsOptional, IsString, Min, ValidateNested } from 'class-validator';

export class StreamOptionsDto {
  @IsOptional() @IsBoolean({ message: 'stream_options.include_usage must be a boolean' })
  include_usage?: boolean;
}

/**
 * The fields of both completion endpoints that the gateway reads itself: `model` (it routes by
 * it), `max_tokens` (checked against the context), `stream` and `stream_options` (they decide
 * the relay). Every other field and range (temperature, top_p, n, stop, penalties, seed,
 * logprobs, …) is the engine's to judge, and its 400 is relayed: never stricter than vLLM.
 */
export class SamplingParamsDto {
  @IsOptional() @IsString({ message: 'model must be a string' })
  model?: string;

  @IsOptional() @IsInt({ message: 'max_tokens must be an integer' }) @Min(1, { message: 'max_tokens must be at least 1' })
  max_tokens?: number;

  @IsOptional() @IsBoolean({ message: 'stream must be a boolean' })
  stream?: boolean;

  @IsOptional() @IsObject({ message: 'stream_options must be an object' }) @ValidateNested() @Nested(() => StreamOptionsDto)
  stream_options?: StreamOptionsDto;
}

/** The roles OpenAI's API names; any other string is the engine's chat template to judge (see roleRule). */
export const CHAT_ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const;
/**
 * A message's role must be a string, and nothing more: vLLM's CustomChatCompletionMessageParam takes
 * any role (`role: Required[str]`, protocol.py / chat_utils.py) and the model's chat template
 * decides whether it knows it, so a fixed list here would be stricter than vLLM.
 */
export const roleRule = IsString({ message: 'role must be a string' });
