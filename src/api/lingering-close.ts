import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** How long a closing connection keeps reading a client that is still sending (nginx: `lingering_time`). */
const LINGER_TOTAL_MS = 30_000;
/** How long it waits for the client's next bytes before closing (nginx: `lingering_timeout`). */
const LINGER_IDLE_MS = 5_000;

type HttpSocket = Socket & { parser?: { incoming?: { complete: boolean } | null } | null };

/**
 * Lingering close, as nginx does it: when an answer that closes the connection (413, 503 while
 * stopping, …) is sent before the client has finished sending its body, the connection is
 * half-closed and the rest of the body is read and discarded for a bounded time before the
 * socket is destroyed. Without it the kernel answers the client's next bytes with a reset, and
 * the client sees EPIPE or ECONNRESET instead of the answer it was sent.
 *
 * Node closes such a connection with `socket.destroySoon()` once the answer is written; this
 * replaces that method on each socket of `server` (once per connection, nothing per request) and
 * lingers only when the request being answered is still incomplete.
 */
export function lingerOnEarlyClose(server: Server): void {
  server.on('connection', (socket: HttpSocket) => {
    const destroySoon = socket.destroySoon.bind(socket);
    socket.destroySoon = () => {
      const incoming = socket.parser?.incoming;
      if (!incoming || incoming.complete || socket.destroyed) return destroySoon();
      linger(socket);
    };
  });
}

function linger(socket: Socket): void {
  // Our side is done: the answer, then FIN. The client's remaining bytes are still read (Node's
  // parser dumps the unread body) until it stops sending or the time is up.
  socket.end();
  const stop = () => {
    clearTimeout(total);
    clearTimeout(idle);
    socket.destroy();
  };
  const total = setTimeout(stop, LINGER_TOTAL_MS);
  const idle = setTimeout(stop, LINGER_IDLE_MS);
  total.unref();
  idle.unref();
  socket.on('data', () => idle.refresh());
  socket.once('end', stop);
  socket.once('close', stop);
}
