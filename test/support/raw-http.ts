import { connect, Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/**
 * Sends `request` exactly as written (no client normalises the target: absolute form, dot
 * segments, duplicate slashes and percent-encoding reach the server as they are) and resolves the
 * first answer. The connection is closed after it.
 */
export function rawRequest(url: string, request: string, timeoutMs = 10_000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname, () => socket.write(request));
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${JSON.stringify(request.split('\r\n')[0])}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const [head, ...rest] = received.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, head, body: rest.join('\r\n\r\n') });
    };
    socket.on('data', (chunk) => {
      received += chunk.toString();
      const headEnd = received.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const length = /\r\ncontent-length: (\d+)/i.exec(received.slice(0, headEnd))?.[1];
      if (length !== undefined && Buffer.byteLength(received.slice(headEnd + 4)) >= Number(length)) finish();
    });
    socket.on('close', finish);
    socket.on('error', (error) => {
      clearTimeout(timer);
      if (received) finish();
      else reject(error);
    });
  });
}

/** A GET with `target` as the request target, verbatim. */
export function rawGet(url: string, target: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const lines = Object.entries({ Host: 'localhost', Connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}`);
  return rawRequest(url, `GET ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
}

/** A POST of a JSON body with `target` as the request target, verbatim. */
export function rawPost(url: string, target: string, body: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const all = { Host: 'localhost', Connection: 'close', 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...headers };
  const lines = Object.entries(all).map(([k, v]) => `${k}: ${v}`);
  return rawRequest(url, `POST ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${body}`);
}
