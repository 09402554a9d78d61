import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RequestRecord } from '../common/request-record';

declare module 'fastify' {
  interface FastifyRequest {
    /** Filled in along the request's path; read once by the access log. */
    record: RequestRecord | null;
  }
}

/** The request's record, made when a handler first asks for it. */
export function recordOf(req: FastifyRequest): RequestRecord {
  req.record ??= new RequestRecord(req.id);
  return req.record;
}

/** nginx's status for a request whose client closed the connection before the answer was complete. */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * One line per request when its answer is complete (a stream: when it ended), or when its client
 * left first (status 499, as nginx logs it and `requests_total` counts it): method, route,
 * status, duration, the model that answered, its token counts and the request id; never a
 * prompt, a body or a key. Logged at Nest's `log` level by the `Access` logger;
 * `CITADEL_ACCESS_LOG=false` turns it off.
 *
 * The line is written on the raw response's `close`, which comes for every request: after
 * `finish` for a complete answer, alone for one the client broke off (Fastify's `onResponse`
 * does not run then, nor for a stream written on the raw response).
 */
export function registerAccessLog(fastify: FastifyInstance, enabled: () => boolean): void {
  const logger = new Logger('Access');
  fastify.decorateRequest('record', null);
  fastify.addHook('onRequest', (req, reply, done) => {
    reply.raw.once('close', () => {
      if (!enabled()) return;
      const r = req.record;
      const route = req.routeOptions.url ?? req.url.split('?')[0].slice(0, 200);
      const status = reply.raw.writableFinished ? reply.statusCode : CLIENT_CLOSED_REQUEST;
      const tokens = r?.promptTokens !== undefined ? ` prompt_tokens=${r.promptTokens} completion_tokens=${r.completionTokens}` : '';
      logger.log(`${req.method} ${route} ${status} ${reply.elapsedTime.toFixed(1)}ms${r?.model ? ` model=${r.model}` : ''}${tokens} request_id=${req.id}`);
    });
    done();
  });
}
