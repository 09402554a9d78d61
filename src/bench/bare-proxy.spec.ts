import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { BareProxy, startBareProxy } from './bare-proxy';

/** A real upstream on loopback whose handler each test sets, so it can hold a stream open. */
async function upstream(): Promise<{ url: string; server: Server; handler: { fn: (req: IncomingMessage, res: ServerResponse) => void } }> {
  const handler = { fn: (_req: IncomingMessage, res: ServerResponse) => void res.end() };
  const server = createServer((req, res) => handler.fn(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, handler };
}

const closeServer = (s: Server) => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve())));

describe('bare proxy (path D of bench overhead)', () => {
  let up: Awaited<ReturnType<typeof upstream>>;
  let proxy: BareProxy;
  beforeEach(async () => {
    up = await upstream();
    proxy = await startBareProxy([up.url]);
  });
  afterEach(async () => {
    await proxy.close();
    await closeServer(up.server);
  });

  it("relays the method, path, body and headers both ways; the upstream gets its own Host, not the proxy's", async () => {
    let seen: { method?: string; url?: string; body: string; type?: string; custom?: string; host?: string } = { body: '' };
    up.handler.fn = (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { method: req.method, url: req.url, body, type: req.headers['content-type'], custom: req.headers['x-custom'] as string, host: req.headers.host };
        res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes' }).end('{"ok":true}');
      });
    };
    const res = await request(`${proxy.url}/v1/chat/completions?x=1`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-custom': 'kept' }, body: '{"model":"m"}' });
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-upstream']).toBe('yes');
    expect(await res.body.text()).toBe('{"ok":true}');
    expect(seen).toEqual({ method: 'POST', url: '/v1/chat/completions?x=1', body: '{"model":"m"}', type: 'application/json', custom: 'kept', host: new URL(up.url).host });
  });

  it('streams an answer chunk by chunk: the first chunk reaches the client while the upstream still holds the rest', async () => {
    let finish: () => void = () => undefined;
    up.handler.fn = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      finish = () => res.end('data: [DONE]\n\n');
    };
    const res = await request(`${proxy.url}/v1/completions`, { method: 'POST', body: '{}' });
    const reader = res.body[Symbol.asyncIterator]();
    const first = await reader.next();
    expect(Buffer.from(first.value as Buffer).toString()).toBe('data: first\n\n');
    finish();
    let rest = '';
    for (let r = await reader.next(); !r.done; r = await reader.next()) rest += Buffer.from(r.value as Buffer).toString();
    expect(rest).toBe('data: [DONE]\n\n');
  });

  it('aborts the upstream request when the client leaves mid-stream', async () => {
    const upstreamClosed = new Promise<void>((resolve) => {
      up.handler.fn = (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: first\n\n');
        res.on('close', () => resolve());
      };
    });
    const controller = new AbortController();
    const res = await request(`${proxy.url}/v1/completions`, { method: 'POST', body: '{}', signal: controller.signal });
    await res.body[Symbol.asyncIterator]().next();
    controller.abort();
    await upstreamClosed;
  });

  it('answers 502 when the upstream cannot be reached', async () => {
    await closeServer(up.server);
    const res = await request(`${proxy.url}/v1/completions`, { method: 'POST', body: '{}' });
    expect(res.statusCode).toBe(502);
    expect(await res.body.text()).toMatch(/^bad gateway: /);
  });

  it('spreads requests over its upstreams in turn', async () => {
    const second = await upstream();
    const both = await startBareProxy([up.url, second.url]);
    try {
      up.handler.fn = (_req, res) => void res.end('one');
      second.handler.fn = (_req, res) => void res.end('two');
      const bodies: string[] = [];
      for (let i = 0; i < 4; i++) bodies.push(await (await request(`${both.url}/x`)).body.text());
      expect(bodies).toEqual(['one', 'two', 'one', 'two']);
    } finally {
      await both.close();
      await closeServer(second.server);
    }
  });
});
