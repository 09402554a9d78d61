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
    const bad = instantiate(ChatCompletionRequestDto, { messages: [{ role: 42, content: 'x' }], stream_options: { include_usage: 'yes' } });
    const errors = validateSync(bad, { forbidUnknownValues: false });
    const nested = errors.flatMap((e) => e.children ?? []).flatMap((e) => [e, ...(e.children ?? [])]);
    expect(nested.some((e) => e.property === 'role')).toBe(true);
    expect(errors.find((e) => e.property === 'stream_options')?.children?.[0].property).toBe('include_usage');
    expect(validateSync(instantiate(ChatCompletionRequestDto, { messages: [{ role: 'user', content: 'ok' }] }), { forbidUnknownValues: false })).toEqual([]);
  });

  it('checks a body whose own "constructor" key would hide its DTO from class-validator, or break its walk: top level, nested messages, objects in lists inside nested lists', () => {
    const check = (body: Record<string, unknown>) => validateSync(instantiate(ChatCompletionRequestDto, body), { forbidUnknownValues: false });
    expect(check({ constructor: 1, messages: 'x' }).map((e) => e.property)).toEqual(['messages']);
    const nested = check({ messages: [{ role: 42, constructor: 1 }] });
    expect(nested[0].children?.[0].children?.[0].property).toBe('role');
    // The parsed body keeps its key: it is forwarded as it came.
    const body = { constructor: 1, messages: [{ role: 'user' }] };
    expect(check(body)).toEqual([]);
    expect(body.constructor).toBe(1);
    // class-validator walks lists inside nested lists with no DTO: their objects pass, and a
    // "constructor": null there no longer throws.
    expect(check({ messages: [[{ constructor: null }], [[{ constructor: null }]]] })).toEqual([]);
    expect(check({ messages: [{ role: 'user' }], stream_options: [[{ constructor: null }]] }).map((e) => e.property)).toEqual(['stream_options']);
  });
});
