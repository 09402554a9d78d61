import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** The status a parser-level fault gets: a slow client 408, oversized headers 431, the rest 400. */
function statusOf(code: string | undefined): number {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  return 400;
}

const MESSAGES: Record<number, [string, string]> = {
  400: ['The request could not be parsed as HTTP/1.1.', 'bad_request'],
  408: ['The request was not received in time.', 'request_timeout'],
  431: ['The request headers are too large.', 'request_header_fields_too_large'],
};

/**
 * Answers a fault the HTTP parser found before any route ran (Node's `clientError`: malformed
 * request, headers or whole request too slow, headers too large) in OpenAI's error shape, then
 * closes the connection, as Node and Fastify do. A reset connection gets nothing: nobody reads.
 */
export function writeClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = statusOf(error.code);
  const [message, code] = MESSAGES[status];
  const body = JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
