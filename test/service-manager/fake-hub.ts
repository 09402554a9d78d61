import { createHash } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** One file of a fake repository; `lfs` files are listed with their SHA-256 as the Hub lists LFS files. */
export interface HubFile {
  path: string;
  content: Buffer;
  lfs?: boolean;
  /** Serve these bytes instead of `content` (a corrupted mirror); the listing still describes `content`. */
  served?: Buffer;
}

export interface HubRequest {
  method: string;
  url: string;
  range?: string;
  authorization?: string;
}

/**
 * A loopback HTTP server answering the Hub endpoints @huggingface/hub calls for listFiles and
 * downloadFile (read in node_modules/@huggingface/hub/dist/index.js):
 * - GET /api/models/<repo>/tree/<rev>?recursive=true&expand=false: JSON entries
 *   `{type, oid, size, path, lfs?: {oid, size, pointerSize}}`, paged with a `Link: <...>; rel="next"`
 *   header as the Hub pages big trees;
 * - GET /<repo>/resolve/<rev>/<path>: the bytes, honouring `Range: bytes=a-b` with 206 and
 *   `Content-Range` (the client probes with bytes=0-0 and needs an ETag); LFS files answer with a
 *   302 to a /cdn/ URL as the Hub redirects to its CDN; unknown paths 404 with
 *   `X-Error-Code: EntryNotFound`.
 * With `token` set, requests without `Authorization: Bearer <token>` get 401.
 */
export class FakeHub {
  readonly requests: HubRequest[] = [];
  /** Bytes of file content sent, by path (Range probes of one byte included). */
  readonly bytesServed = new Map<string, number>();
  private server?: Server;
  url = '';

  constructor(
    private readonly repo: string,
    public files: HubFile[],
    private readonly options: { token?: string; pageSize?: number; revision?: string } = {},
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? '', url: url.pathname + url.search, range: req.headers.range, authorization: req.headers.authorization });
    if (this.options.token && req.headers.authorization !== `Bearer ${this.options.token}`) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'Invalid username or password.' }));
      return;
    }
    const revision = this.options.revision ?? 'main';
    const tree = `/api/models/${this.repo}/tree/${revision}`;
    if (url.pathname === tree) return this.tree(url, res);
    const resolvePrefix = `/${this.repo}/resolve/${encodeURIComponent(revision)}/`;
    if (url.pathname.startsWith(resolvePrefix)) {
      const file = this.files.find((f) => f.path === decodeURIComponent(url.pathname.slice(resolvePrefix.length)));
      if (!file) {
        res.writeHead(404, { 'X-Error-Code': 'EntryNotFound', 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'Entry not found' }));
        return;
      }
      if (file.lfs) {
        res.writeHead(302, { Location: `${this.url}/cdn/${encodeURIComponent(file.path)}`, 'X-Linked-ETag': `"${sha256(file.content)}"`, 'X-Linked-Size': String(file.content.length) }).end();
        return;
      }
      return this.serve(file, req, res);
    }
    if (url.pathname.startsWith('/cdn/')) {
      const file = this.files.find((f) => f.path === decodeURIComponent(url.pathname.slice('/cdn/'.length)));
      if (file) return this.serve(file, req, res);
    }
    res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'Repository not found' }));
  }

  private tree(url: URL, res: ServerResponse): void {
    const entries = this.files.map((f) => {
      const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(f.content)}\nsize ${f.content.length}\n`;
      return f.lfs
        ? { type: 'file', oid: gitBlobId(Buffer.from(pointer)), size: f.content.length, path: f.path, lfs: { oid: sha256(f.content), size: f.content.length, pointerSize: pointer.length } }
        : { type: 'file', oid: gitBlobId(f.content), size: f.content.length, path: f.path };
    });
    const dirs = [...new Set(this.files.map((f) => f.path.split('/').slice(0, -1).join('/')).filter(Boolean))].map((path) => ({ type: 'directory', oid: '0'.repeat(40), size: 0, path }));
    const all = [...dirs, ...entries];
    const pageSize = this.options.pageSize ?? all.length;
    const cursor = Number(url.searchParams.get('cursor') ?? 0);
    const page = all.slice(cursor, cursor + pageSize);
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (cursor + pageSize < all.length) {
      const next = new URL(url.href);
      next.searchParams.set('cursor', String(cursor + pageSize));
      headers.Link = `<${next.href}>; rel="next"`;
    }
    res.writeHead(200, headers).end(JSON.stringify(page));
  }

  private serve(file: HubFile, req: IncomingMessage, res: ServerResponse): void {
    const body = file.served ?? file.content;
    const headers: Record<string, string> = { ETag: `"${sha256(file.content)}"`, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let slice = body;
    if (range) {
      const start = Number(range[1]);
      const end = range[2] === '' ? body.length - 1 : Math.min(Number(range[2]), body.length - 1);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      slice = body.subarray(start, end + 1);
      headers['Content-Range'] = `bytes ${start}-${end}/${body.length}`;
      res.writeHead(206, { ...headers, 'Content-Length': String(slice.length) });
    } else {
      res.writeHead(200, { ...headers, 'Content-Length': String(slice.length) });
    }
    this.bytesServed.set(file.path, (this.bytesServed.get(file.path) ?? 0) + slice.length);
    res.end(slice);
  }
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function gitBlobId(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}
