/**
 * Path D of `bench overhead`: the floor a Node proxy stands on. A bare `node:http` server that
 * relays every request to an undici `Pool` per upstream (round robin) and pipes the answer back
 * as it arrives: no framework, no validation, no metrics, no retries. What the gateway costs above
 * this is the framework's and its own features' cost, not Node's.
 *
 * It still does what any correct proxy must: it streams answers chunk by chunk, aborts the
 * upstream request when the client goes away, and answers 502 when the upstream cannot be reached.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { listen } from './listen';

export interface BareProxy {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) are the connection's, not the message's: never relayed. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);

function relayedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Connections per upstream pool: the gateway's default, so both proxies may open as many. */
export const BARE_PROXY_CONNECTIONS = 256;

export async function startBareProxy(upstreams: string[], host = '127.0.0.1', port = 0, connections = BARE_PROXY_CONNECTIONS): Promise<BareProxy> {
  if (upstreams.length === 0) throw new Error('the bare proxy needs at least one upstream');
  const pools = upstreams.map((u) => new Pool(u.replace(/\/+$/, ''), { connections }));
  let next = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const pool = pools[next];
    next = (next + 1) % pools.length;
    const controller = new AbortController();
    // The client left before the answer ended: the upstream request goes too.
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    try {
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
      const upstream = await pool.request({
        method: req.method as 'GET',
        path: req.url ?? '/',
        headers: relayedHeaders(req.headers),
        body,
        signal: controller.signal,
      });
      res.writeHead(upstream.statusCode, relayedHeaders(upstream.headers));
      // pipe(), not stream.pipeline(): pipeline makes and aborts an AbortController per call,
      // whose DOMException was a twelfth of this proxy's CPU: the floor would not be the floor.
      upstream.body.once('error', () => res.destroy());
      upstream.body.pipe(res);
    } catch (error) {
      if (controller.signal.aborted) return;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' }).end(`bad gateway: ${(error as Error).message}\n`);
      } else {
        res.destroy();
      }
    }
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => void handle(req, res));
  const url = await listen(server, port, host);
  return {
    url,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(pools.map((p) => p.destroy()));
    },
  };
}
