import type { Readable } from 'node:stream';

/**
 * Reads a (small, non-streaming) body whole. It rejects with the body's own error when it fails
 * (a reset engine, an aborted call), and with ERR_STREAM_PREMATURE_CLOSE when it is destroyed
 * without one before its end, as `for await` over the stream would; but with listeners, not the
 * stream's async iterator, whose promises and end-of-stream watcher per body were a visible share
 * of the gateway's allocation per request.
 */
export function readBody(body: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.once('end', () => {
      ended = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    body.once('error', reject);
    body.once('close', () => {
      if (!ended) reject(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
  });
}

/**
 * Lets go of a body we will not read: the connection is freed. undici reports a destroyed body
 * as an 'error' event, which here is expected and must not become an unhandled one.
 */
export function discardBody(body: Readable): void {
  if (body.destroyed) return;
  body.on('error', () => undefined);
  body.destroy();
}
