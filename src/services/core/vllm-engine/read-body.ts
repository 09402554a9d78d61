import type { Readable } from 'node:stream';

/** Reads a (small, non-streaming) body whole. */
export async function readBody(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
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
