import { SecurityConfig } from '../config/security-config';

/**
 * Who may reach a route when API keys are configured, decided on the route the router matched
 * (Fastify's `routeOptions.url`), never on the raw request target: `/v%31/models`,
 * `http://x/v1/models`, `//v1/models` and `/v1/models?x` all route to `/v1/models`, so they all
 * get the same decision. Deny by default: a route not listed here, and a path that matches no
 * route at all, needs a key.
 */
export type RouteAccess = 'open' | 'figures' | 'key';

/** Health endpoints: probes (kubelet, load balancers, systemd) carry no key. */
const OPEN_ROUTES: ReadonlySet<string> = new Set(['/health', '/health/live', '/health/ready', '/health/services']);

/** Routes that expose figures: open unless `protect_metrics` is set. */
const FIGURE_ROUTES: ReadonlySet<string> = new Set(['/metrics', '/metrics/streaming', '/metrics/efficiency', '/efficiency']);

export function routeAccess(route: string | undefined): RouteAccess {
  if (route === undefined) return 'key';
  if (OPEN_ROUTES.has(route)) return 'open';
  if (FIGURE_ROUTES.has(route)) return 'figures';
  return 'key';
}

/**
 * Whether a request needs a key. `route` is the matched route's pattern (undefined when nothing
 * matched). A CORS preflight (OPTIONS on the CORS plugin's catch-all route) is open when CORS is
 * configured: browsers never send credentials on it.
 */
export function routeNeedsKey(method: string, route: string | undefined, security: SecurityConfig): boolean {
  if (method === 'OPTIONS' && route === '*' && security.cors_origins.length > 0) return false;
  const access = routeAccess(route);
  return access === 'key' || (access === 'figures' && security.protect_metrics);
}
