import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { MetricsRegistry } from './metrics-registry';

/**
 * A model's dedicated metrics port (11401, 11405, 11404, 11407): `/metrics` with its series.
 * Plain node:http — it serves one path to one scraper.
 */
export class MetricsListener {
  private readonly server: Server;

  constructor(private readonly model: string) {
    this.server = createServer((req, res) => {
      if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
        const metrics = MetricsRegistry.get();
        metrics.text(this.model).then(
          (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Only /metrics is served on this port.', type: 'invalid_request_error', param: null, code: 'not_found' } }));
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
