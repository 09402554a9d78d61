/** Small node:http helpers: read a body, answer JSON or an error. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimulatorError } from './errors';

/** Far above any real prompt (a 32K-token prompt is ~130 KB); only guards memory. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new SimulatorError(413, `Request body too large (limit ${limit} bytes).`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(err);
      }
    });
  });
}

export function sendJson(res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-length': 0 });
  res.end();
}

export function sendApiError(res: ServerResponse, err: SimulatorError): void {
  sendJson(res, err.status, err.toBody());
}

/** FastAPI's own 404/405 bodies (vLLM's unknown routes answer these). */
export function sendDetail(res: ServerResponse, status: 404 | 405, allow?: string): void {
  const detail = status === 404 ? 'Not Found' : 'Method Not Allowed';
  sendJson(res, status, JSON.stringify({ detail }), allow ? { allow } : undefined);
}

/** vLLM only takes application/json bodies on its POST endpoints. */
export function assertJsonContentType(req: IncomingMessage): void {
  const ct = (req.headers['content-type'] ?? '').toLowerCase();
  const media = ct.split(';', 1)[0].trim();
  if (media !== 'application/json') {
    throw new SimulatorError(415, "Unsupported Media Type: Only 'application/json' is allowed", 'Unsupported Media Type');
  }
}
