import { ApiError } from '../../common/api-error';
import { sseChunks } from './sse-chunks';

async function* buffers(...parts: string[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield Buffer.from(part);
}

async function collect(events: AsyncIterable<Buffer>): Promise<unknown[]> {
  const chunks: unknown[] = [];
  for await (const chunk of sseChunks(events)) chunks.push(chunk);
  return chunks;
}

// Event shapes: vLLM's stream generators (vllm/entrypoints/openai/serving_chat.py,
// serving_completion.py): `data: <json>\n\n` per chunk, an error event then `data: [DONE]` on failure.
describe('sseChunks: the relayed events of a stream as parsed chunks', () => {
  it('parses events merged into one buffer and events cut across buffers, and stops at [DONE]', async () => {
    const chunks = await collect(buffers('data: {"n":1}\n\ndata: {"n":2}\n\n', 'data: {"n"', ':3}\n\n', 'data: [DONE]\n\n', 'data: {"n":4}\n\n'));
    expect(chunks).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('throws an error event as an ApiError with its numeric code as the status (502 without one)', async () => {
    const failed = buffers('data: {"n":1}\n\n', 'data: {"error":{"message":"engine dead","type":"InternalServerError","param":null,"code":500}}\n\ndata: [DONE]\n\n');
    await expect(collect(failed)).rejects.toMatchObject({ status: 500, message: 'engine dead', type: 'InternalServerError' });
    const noCode = buffers('data: {"error":{"message":"cut","type":"upstream_error"}}\n\n');
    await expect(collect(noCode)).rejects.toMatchObject({ status: 502, message: 'cut' });
  });

  it('throws a 502 when the events end without [DONE]', async () => {
    const error = await collect(buffers('data: {"n":1}\n\n')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 502, code: 'stream_incomplete' });
  });

  it('leaves closing the events to their owner when its consumer stops early', async () => {
    let closed = false;
    async function* events(): AsyncGenerator<Buffer> {
      try {
        yield Buffer.from('data: {"n":1}\n\ndata: {"n":2}\n\n');
        yield Buffer.from('data: [DONE]\n\n');
      } finally {
        closed = true;
      }
    }
    const source = events();
    for await (const chunk of sseChunks(source)) {
      expect(chunk).toEqual({ n: 1 });
      break;
    }
    expect(closed).toBe(false);
    await source.return(undefined);
    expect(closed).toBe(true);
  });
});
