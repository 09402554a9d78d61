import { ServiceManagerConfig } from '../config/service-manager.config';

/**
 * The URLs clients use for a listener: a wildcard bind (0.0.0.0, ::) is reached through the
 * host's SERVER_IP and SERVER_HOSTNAME (the seeds' `curl http://192.168.10.29:11400/health`);
 * a listener bound to one address is reached at that address only, so nothing is added.
 */
export function clientAddresses(bindHost: string, port: number, manager: Pick<ServiceManagerConfig, 'SERVER_IP' | 'SERVER_HOSTNAME'>): string[] {
  if (bindHost !== '0.0.0.0' && bindHost !== '::') return [];
  const hosts = [manager.SERVER_IP, manager.SERVER_HOSTNAME].filter((h) => h && h.trim() !== '');
  return [...new Set(hosts.map((h) => `http://${h.includes(':') ? `[${h}]` : h}:${port}`))];
}
