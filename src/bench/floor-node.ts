/**
 * The `node-parse` floor: node:http with no framework, doing what a gateway must at the least on
 * the two forwarded routes — read the body, `JSON.parse` it, check it names its model — then
 * relay its raw bytes and write the whole answer back. Against the bare proxy (path D, which
 * pipes without parsing), it says what parsing and buffering cost on their own.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { badGatewayBody, FLOOR_ROUTES, FloorProxy, FloorUpstream, INVALID_JSON_BODY, MISSING_MODEL_BODY, namesModel } from './floor-relay';
import { listen } from './listen';

const ROUTES = new Set<string>(FLOOR_ROUTES);
const JSON_TYPE = { 'content-type': 'application/json' };

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const NOT_JSON = Symbol('not JSON');

function parsed(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return NOT_JSON;
  }
}

export async function startNodeParseFloor(upstreams: readonly string[], host = '127.0.0.1', port = 0): Promise<FloorProxy> {
  const upstream = new FloorUpstream(upstreams);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    if (req.method !== 'POST' || !ROUTES.has(path)) {
      res.writeHead(404, JSON_TYPE).end(JSON.stringify({ error: { message: `no route ${req.method} ${path}`, type: 'not_found_error', param: null, code: null } }));
      return;
    }
    const controller = new AbortController();
    // The client left before the answer was written: the upstream request goes too.
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    try {
      const raw = await readBody(req);
      const body = parsed(raw);
      if (body === NOT_JSON || !namesModel(body)) {
        res.writeHead(400, JSON_TYPE).end(body === NOT_JSON ? INVALID_JSON_BODY : MISSING_MODEL_BODY);
        return;
      }
      const answer = await upstream.relay(path, raw, controller.signal);
      res.writeHead(answer.statusCode, { 'content-type': answer.contentType }).end(answer.body);
    } catch (error) {
      if (controller.signal.aborted || res.headersSent) return;
      res.writeHead(502, JSON_TYPE).end(badGatewayBody(error));
    }
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => void handle(req, res));
  const url = await listen(server, port, host);
  return {
    url,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstream.close();
    },
  };
}
