import { ConfigProblem } from './config-problem';
import { GatewayConfig } from './gateway-config';
import { ModelServiceConfig } from './model-config';

/**
 * No two listeners on one port: every enabled model's service and metrics port, and the gateway's.
 * Port 0 (any free port, used by tests) never clashes. Each clash names both owners.
 */
export function findPortClashes(
  models: ModelServiceConfig[],
  gateway: GatewayConfig,
  /** Where a key's value came from: the owner's file, or the variable that set it. */
  sourceOf: (owner: string, key: string) => string,
): ConfigProblem[] {
  const owners = new Map<number, string>();
  const problems: ConfigProblem[] = [];
  const claim = (port: number, owner: string, source: string, key: string) => {
    if (!Number.isInteger(port) || port === 0) return;
    const first = owners.get(port);
    if (first) {
      problems.push({ source, key, value: port, rule: `port clash: ${owner} and ${first} both listen on ${port}` });
    } else {
      owners.set(port, owner);
    }
  };
  if (gateway.enabled) claim(gateway.port, 'the gateway', sourceOf('gateway', 'port'), 'gateway.port');
  for (const m of models) {
    claim(m.service.port, `${m.id} (service port)`, sourceOf(m.id, 'service.port'), 'service.port');
    claim(m.monitoring.prometheus_port, `${m.id} (metrics port)`, sourceOf(m.id, 'monitoring.prometheus_port'), 'monitoring.prometheus_port');
  }
  return problems;
}
