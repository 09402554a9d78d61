import { PassThrough, Readable } from 'node:stream';
import { readBody } from './read-body';

describe('readBody', () => {
  it('reads a body of one chunk, of several, and an empty one', async () => {
    await expect(readBody(Readable.from([Buffer.from('{"a":1}')]))).resolves.toEqual(Buffer.from('{"a":1}'));
    await expect(readBody(Readable.from([Buffer.from('{"a"'), Buffer.from(':1'), Buffer.from('}')]))).resolves.toEqual(Buffer.from('{"a":1}'));
    await expect(readBody(Readable.from([]))).resolves.toEqual(Buffer.alloc(0));
  });

  it("rejects with the body's own error (a reset engine, an aborted call)", async () => {
    const body = new PassThrough();
    const read = readBody(body);
    body.write('{"a"');
    const error = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    body.destroy(error);
    await expect(read).rejects.toBe(error);
  });

  it('rejects with ERR_STREAM_PREMATURE_CLOSE when the body is destroyed before its end without an error', async () => {
    const body = new PassThrough();
    const read = readBody(body);
    body.write('{"a"');
    body.destroy();
    await expect(read).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });
});
