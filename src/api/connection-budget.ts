import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** A socket refused by the budget: its requests are never handled. */
export const REFUSED = Symbol('citadel.refusedConnection');

const REFUSAL_BODY = JSON.stringify({
  error: { message: 'The server holds as many client connections as it may; retry shortly.', type: 'server_error', param: null, code: 'too_many_connections' },
});
const REFUSAL = `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(REFUSAL_BODY)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${REFUSAL_BODY}`;

/**
 * The client connections this process may hold, shared by all its listeners, like nginx's
 * `worker_connections`: past the cap a new connection gets a 503 and is closed at once, so idle
 * clients can never take the descriptors the engines' sockets need (an engine socket that fails
 * with EMFILE is a local fault, not the engine's).
 *
 * The cap is `max_client_connections` when set, else the process's soft descriptor limit less a
 * reserve: a quarter of the limit, at least 64, kept for engine sockets, files and logs.
 */
export class ConnectionBudget {
  private open = 0;
  private refusedTotal = 0;

  constructor(readonly limit: number) {}

  static fromLimits(configured: number, descriptorLimit: number | undefined = softDescriptorLimit()): ConnectionBudget {
    if (configured > 0) return new ConnectionBudget(configured);
    if (!descriptorLimit) return new ConnectionBudget(Number.MAX_SAFE_INTEGER);
    return new ConnectionBudget(Math.max(1, descriptorLimit - Math.max(64, Math.ceil(descriptorLimit / 4))));
  }

  get connections(): number {
    return this.open;
  }

  get refused(): number {
    return this.refusedTotal;
  }

  /** Counts `server`'s connections against the budget; runs before Node's HTTP parser sees them. */
  watch(server: Server): void {
    server.prependListener('connection', (socket: Socket) => {
      if (this.open >= this.limit) {
        this.refusedTotal++;
        (socket as Socket & { [REFUSED]?: true })[REFUSED] = true;
        // The answer is written before any request is read; nothing after it is parsed.
        socket.end(REFUSAL, () => socket.destroy());
        return;
      }
      this.open++;
      socket.once('close', () => this.open--);
    });
  }
}

/** The soft RLIMIT_NOFILE of this process (Linux), or undefined where it cannot be read. */
export function softDescriptorLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}
