/**
 * The `fastify` floor: the project's Fastify, one POST route per forwarded path, Fastify's own
 * JSON parser (secure-json-parse, reading the body as a Buffer that is kept, as Nest's
 * `rawBody: true` does), the model check, the raw bytes relayed, `reply.send(buffer)`. What a
 * proxy on Fastify costs before anything of the gateway's own.
 */
import Fastify, { FastifyBodyParser, FastifyReply, FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { badGatewayBody, FLOOR_ROUTES, FloorProxy, FloorUpstream, MISSING_MODEL_BODY, namesModel } from './floor-relay';

/** A request whose JSON body's bytes the parser kept. */
export type RawBodyRequest = FastifyRequest & { rawBody?: Buffer };

/** The route's work on Fastify's reply, shared with the Nest floor (which runs on Fastify too). */
export async function relayToReply(upstream: FloorUpstream, path: string, body: unknown, raw: Buffer | undefined, reply: FastifyReply): Promise<void> {
  if (raw === undefined || !namesModel(body)) {
    reply.code(400).header('content-type', 'application/json').send(MISSING_MODEL_BODY);
    return;
  }
  const controller = new AbortController();
  // The client left before the answer was written: the upstream request goes too.
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  try {
    const answer = await upstream.relay(path, raw, controller.signal);
    reply.code(answer.statusCode).header('content-type', answer.contentType).send(answer.body);
  } catch (error) {
    if (controller.signal.aborted || reply.sent) return;
    reply.code(502).header('content-type', 'application/json').send(badGatewayBody(error));
  }
}

export async function startFastifyFloor(upstreams: readonly string[], host = '127.0.0.1', port = 0): Promise<FloorProxy> {
  const upstream = new FloorUpstream(upstreams);
  const app = Fastify({ logger: false });
  app.decorateRequest('rawBody', undefined);
  // Fastify's default JSON parser takes a string or a Buffer; typed for a string only.
  const parseJson = app.getDefaultJsonParser('error', 'error') as unknown as FastifyBodyParser<Buffer>;
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    (req as RawBodyRequest).rawBody = body as Buffer;
    void parseJson(req, body as Buffer, done);
  });
  for (const path of FLOOR_ROUTES) {
    // Not async: Fastify waits for reply.send(), and sends nothing when the client has left.
    app.post(path, (request, reply) => void relayToReply(upstream, path, request.body, (request as RawBodyRequest).rawBody, reply));
  }
  try {
    await app.listen({ host, port });
  } catch (error) {
    await upstream.close();
    throw error;
  }
  return {
    url: `http://${host}:${(app.server.address() as AddressInfo).port}`,
    close: async () => {
      await app.close();
      await upstream.close();
    },
  };
}
