import { validateSync } from 'class-validator';
import { ChatCompletionRequestDto, ChatMessageDto } from './chat-completion-request.dto';
import { instantiate } from './nested';
import { StreamOptionsDto } from './sampling-params.dto';

describe('instantiate', () => {
  it('gives the body and its nested DTOs their classes, inherited ones included, without copying values', () => {
    const content = [{ type: 'text', text: 'hi' }];
    const plain = { messages: [{ role: 'user', content }, 'not an object'], stream_options: { include_usage: true }, extra: { kept: 1 } };
    const dto = instantiate(ChatCompletionRequestDto, plain);
    expect(dto).toBeInstanceOf(ChatCompletionRequestDto);
    expect(dto.messages[0]).toBeInstanceOf(ChatMessageDto);
    expect(dto.messages[0].content).toBe(content);
    expect(dto.messages[1]).toBe('not an object');
    expect(dto.stream_options).toBeInstanceOf(StreamOptionsDto);
    expect((dto as unknown as { extra: unknown }).extra).toBe(plain.extra);
    // The parsed body itself is untouched: it is what goes upstream.
    expect(Object.getPrototypeOf(plain.messages[0])).toBe(Object.prototype);
  });

  it('lets class-validator reach the nested rules', () => {
    const bad = instantiate(ChatCompletionRequestDto, { messages: [{ role: 'wizard', content: 'x' }], stream_options: { include_usage: 'yes' } });
    const errors = validateSync(bad, { forbidUnknownValues: false });
    const nested = errors.flatMap((e) => e.children ?? []).flatMap((e) => [e, ...(e.children ?? [])]);
    expect(nested.some((e) => e.property === 'role')).toBe(true);
    expect(errors.find((e) => e.property === 'stream_options')?.children?.[0].property).toBe('include_usage');
    expect(validateSync(instantiate(ChatCompletionRequestDto, { messages: [{ role: 'user', content: 'ok' }] }), { forbidUnknownValues: false })).toEqual([]);
  });
});
