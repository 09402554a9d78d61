import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A client's id is taken as it is when it is this short and made of these characters. */
const ACCEPTED = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * The request's id: the client's `X-Request-Id` when it is a plain token of at most 128
 * characters (anything else could forge log lines), or a new UUID. It is returned to the client,
 * sent to the engine (vLLM uses it as its own request id) and written in the access log line.
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && ACCEPTED.test(given) ? given : randomUUID();
}
