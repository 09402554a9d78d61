import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsInt, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { CustomRule } from './custom-rule';
import { Nested } from './nested';
import { roleRule, SamplingParamsDto } from './sampling-params.dto';

/** Message content: a string, null (assistant tool calls), or a list of typed parts. */
const IsMessageContent = () =>
  CustomRule(
    'isMessageContent',
    'content must be a string or a list of content parts',
    (value) =>
      value === null ||
      typeof value === 'string' ||
      (Array.isArray(value) && value.every((part) => part !== null && typeof part === 'object' && typeof (part as { type?: unknown }).type === 'string')),
  );

export class ChatMessageDto {
  @roleRule
  role!: string;

  @IsOptional() @IsMessageContent()
  content?: string | null | object[];

  @IsOptional() @IsString({ message: 'name must be a string' })
  name?: string;
}

export class ChatCompletionRequestDto extends SamplingParamsDto {
  @IsArray({ message: 'messages must be a list of messages' })
  @ArrayNotEmpty({ message: 'messages must contain at least one message' })
  @ArrayMaxSize(10_000, { message: 'messages may hold at most 10000 messages' })
  @ValidateNested({ each: true })
  @Nested(() => ChatMessageDto)
  messages!: ChatMessageDto[];

  @IsOptional() @IsInt({ message: 'max_completion_tokens must be an integer' }) @Min(1, { message: 'max_completion_tokens must be at least 1' })
  max_completion_tokens?: number;
}
