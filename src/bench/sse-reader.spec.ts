import { classifySseData, SseDataReader, sseDataOf } from './sse-reader';

describe('SSE reader', () => {
  it('returns complete events however the chunks were cut', () => {
    const stream = 'data: {"a":1}\n\ndata: {"b":2}\n\n: comment\n\ndata: [DONE]\n\n';
    for (const size of [1, 2, 3, 7, stream.length]) {
      const reader = new SseDataReader();
      const out: string[] = [];
      for (let i = 0; i < stream.length; i += size) out.push(...reader.push(stream.slice(i, i + size)));
      expect(out).toEqual(['{"a":1}', '{"b":2}', '[DONE]']);
    }
  });

  it('accepts CRLF line ends, split anywhere', () => {
    const reader = new SseDataReader();
    expect(reader.push('data: x\r')).toEqual([]);
    expect(reader.push('\n\r\ndata: y\r\n\r\n')).toEqual(['x', 'y']);
  });

  it('keeps event names, ids and comments apart from the data, and joins multi-line data', () => {
    const reader = new SseDataReader();
    expect(reader.pushEvents(': keep-alive\n\nevent: error\nid: 7\ndata: a\ndata: b\n\n')).toEqual([{ event: 'error', id: '7', data: 'a\nb' }]);
    expect(reader.comments).toEqual(['keep-alive']);
    expect(sseDataOf('data: x\n\ndata: unfinished')).toEqual(['x']);
  });

  it('tells content events from the rest', () => {
    expect(classifySseData('{"choices":[{"delta":{"content":"Hi"}}]}')).toBe('content');
    expect(classifySseData('{"choices":[{"delta":{"role":"assistant","content":""}}]}')).toBe('other');
    expect(classifySseData('{"choices":[{"text":" word"}]}')).toBe('content');
    expect(classifySseData('{"choices":[],"usage":{"completion_tokens":3}}')).toBe('other');
    expect(classifySseData('{"error":{"message":"engine died"}}')).toBe('error');
    expect(classifySseData('[DONE]')).toBe('done');
    expect(classifySseData('not json')).toBe('other');
  });
});
