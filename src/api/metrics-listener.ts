import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { SecurityConfig } from '../config/security-config';
import { MetricsRegistry } from '../monitoring/metrics-registry';
import { ApiError } from '../common/api-error';
import { writeClientError } from './client-error';
import { ConnectionBudget, REFUSED } from './connection-budget';
import { createListenerServer, LiveApiKeys } from './http-app';

function json(status: number, error: ApiError): [number, Record<string, string>, string] {
  return [status, { 'content-type': 'application/json', ...error.headers }, JSON.stringify(error.body())];
}

/** The request's path, percent-decoded as a router decodes it (absolute form and query dropped). */
function decodedPath(url: string | undefined): string {
  const path = new URL(url ?? '/', 'http://metrics').pathname;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * A model's dedicated metrics port (11401, 11405, 11404, 11407): `GET /metrics` with its series.
 * Plain node:http — it serves one path to one scraper. Everything on this port is figures, so
 * with `protect_metrics` (and keys configured) every request needs a key, whatever its path:
 * the decision never depends on how the path is spelled.
 */
export class MetricsListener {
  private readonly server: Server;

  constructor(
    private readonly model: string,
    security: SecurityConfig = new SecurityConfig(),
    connections?: ConnectionBudget,
  ) {
    const keys = new LiveApiKeys(security);
    this.server = createListenerServer(
      (req, res) => {
        if ((req.socket as { [REFUSED]?: true })[REFUSED]) {
          req.socket.destroy();
          return;
        }
        const verifier = keys.current();
        if (security.protect_metrics && verifier.enabled && !verifier.verify(req.headers.authorization)) {
          const [status, headers, body] = json(401, ApiError.unauthorized());
          res.writeHead(status, headers).end(body);
          return;
        }
        const path = decodedPath(req.url);
        if ((req.method === 'GET' || req.method === 'HEAD') && path === '/metrics') {
          const metrics = MetricsRegistry.get();
          metrics.text(this.model).then(
            (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
            () => res.writeHead(500).end(),
          );
          return;
        }
        const [status, headers, body] = json(404, new ApiError(404, 'Only GET /metrics is served on this port.', 'invalid_request_error', 'not_found'));
        res.writeHead(status, headers).end(body);
      },
      security,
      connections,
    );
    this.server.on('clientError', writeClientError);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  /** Stops accepting at once; open scrapes are cut (a scrape is retried at the next interval). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
