import { createServer } from 'node:net';

/**
 * A port that is free right now on `host`: bind port 0, read the port the kernel chose, close.
 * Another process may take it between this close and the engine's bind; the engine then fails
 * to start and is started again (managed engines), so the race costs a restart, nothing worse.
 */
export function pickFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error(`no free port on ${host}`))));
    });
  });
}
