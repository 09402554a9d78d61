import { isDoneEvent, SseEventSplitter } from './sse-event-splitter';

describe('SseEventSplitter', () => {
  it('returns complete events only, however the bytes were cut', () => {
    const stream = Buffer.from('data: {"a":1}\n\ndata: {"b":"é€😀"}\n\ndata: [DONE]\n\n', 'utf8');
    // Every split point, including inside the multi-byte characters.
    for (let cut = 1; cut < stream.length; cut++) {
      const splitter = new SseEventSplitter();
      const events = [...splitter.push(stream.subarray(0, cut)), ...splitter.push(stream.subarray(cut))];
      expect(events.map((e) => e.toString('utf8'))).toEqual(['data: {"a":1}\n\n', 'data: {"b":"é€😀"}\n\n', 'data: [DONE]\n\n']);
      expect(splitter.pendingBytes).toBe(0);
    }
  });

  it('handles one byte at a time and CRLF line ends', () => {
    const stream = Buffer.from('data: x\r\n\r\ndata: y\n\n');
    const splitter = new SseEventSplitter();
    const events: Buffer[] = [];
    for (const byte of stream) events.push(...splitter.push(Buffer.from([byte])));
    expect(events.map(String)).toEqual(['data: x\r\n\r\n', 'data: y\n\n']);
  });

  it('keeps an incomplete event pending', () => {
    const splitter = new SseEventSplitter();
    expect(splitter.push(Buffer.from('data: {"partial":'))).toEqual([]);
    expect(splitter.pendingBytes).toBe(17);
  });

  it('recognises the [DONE] event', () => {
    expect(isDoneEvent(Buffer.from('data: [DONE]\n\n'))).toBe(true);
    expect(isDoneEvent(Buffer.from('data: {"x":"[DONE]"}\n\n'))).toBe(false);
  });
});
