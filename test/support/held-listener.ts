import { connect, Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { waitFor } from './engine-control';

/**
 * The listener's thread: a plain TCP relay to the target. On 'hold' it blocks itself (Atomics.wait)
 * until the test releases it, so nothing calls accept(2) meanwhile.
 */
const RELAY = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const state = new Int32Array(workerData.shared);
const sockets = new Set();
const track = (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => s.destroy()); };
const server = net.createServer((client) => {
  track(client);
  const upstream = net.connect(workerData.targetPort, '127.0.0.1');
  track(upstream);
  client.pipe(upstream).pipe(client);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'hold') {
    Atomics.store(state, 1, 1);
    Atomics.wait(state, 0, 1);
    Atomics.store(state, 1, 0);
  } else if (message === 'close') {
    for (const s of sockets) s.destroy();
    server.close(() => parentPort.close());
  }
});
`;

/**
 * A real listener in front of `targetUrl` whose connects can be held back, to put an engine's
 * connect time on either side of `connect_ms` without a mocked socket.
 *
 * While held, its thread is blocked, so no connection is accepted; once the listen backlog is
 * full (filled by `hold()` with connections of its own), the kernel completes no handshake at all
 * and drops further SYNs: a client's connect waits, its SYN retransmitted by the kernel (Linux:
 * after ~1 s, then ~3 s, ~7 s from the first). After `release()`, the next retransmission
 * connects, and the connection is relayed to the target.
 */
export class HeldListener {
  private readonly shared = new SharedArrayBuffer(8);
  private readonly state = new Int32Array(this.shared);
  private readonly fillers: Socket[] = [];
  private worker?: Worker;
  url = '';

  static async start(targetUrl: string): Promise<HeldListener> {
    const listener = new HeldListener();
    const worker = new Worker(RELAY, { eval: true, workerData: { shared: listener.shared, targetPort: Number(new URL(targetUrl).port) } });
    listener.worker = worker;
    const { port } = await new Promise<{ port: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    listener.url = `http://127.0.0.1:${port}`;
    return listener;
  }

  /**
   * Blocks the listener's thread and fills its backlog until a connect no longer completes: from
   * then on, nobody connects until release(). Resolves how many connections it took.
   */
  async hold(): Promise<number> {
    Atomics.store(this.state, 0, 1);
    this.worker!.postMessage('hold');
    await waitFor(() => Atomics.load(this.state, 1) === 1, 5_000, 'the listener to hold');
    const port = Number(new URL(this.url).port);
    for (let i = 0; i < 16; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      this.fillers.push(socket);
      const connected = await new Promise<boolean>((resolve) => {
        // Loopback handshakes complete in the kernel at once: a second without one means the backlog is full.
        const timer = setTimeout(() => resolve(false), 1_000);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (!connected) return i;
    }
    throw new Error('the listen backlog never filled up');
  }

  /** Lets the listener accept again: held connects complete at their next SYN retransmission. */
  release(): void {
    Atomics.store(this.state, 0, 0);
    Atomics.notify(this.state, 0);
  }

  async close(): Promise<void> {
    this.release();
    for (const socket of this.fillers.splice(0)) socket.destroy();
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage('close');
    const timer = setTimeout(() => void worker.terminate(), 2_000);
    await exited;
    clearTimeout(timer);
  }
}
