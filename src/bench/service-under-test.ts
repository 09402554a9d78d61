/**
 * The service a certification or load test runs against: a URL given (or the model's configured
 * port), or the model started here for the run (gateway process + simulator process); and where
 * its memory and CPU are read.
 */
import { ModelServiceConfig } from '../config/model-config';
import { simulatorModelFromConfig } from '../simulator/model-from-config';
import { INSTANT_PROFILE } from '../simulator/profiles';
import { apiBase } from './chat-client';
import { startGateway } from './gateway-launcher';
import type { Progress } from './progress';
import { MetricsResourceSource, ProcResourceSource, ResourceSource } from './resource-monitor';
import { startBenchSimulator, withProfile } from './simulator-launcher';

export interface ServiceChoice {
  model: ModelServiceConfig;
  configDir: string;
  url?: string;
  start: boolean;
  simProfile: 'config' | 'instant';
  pid?: number;
  apiKey?: string;
}

export interface ServiceUnderTest {
  url: string;
  resources: ResourceSource;
  stop(): Promise<void>;
}

export async function openServiceUnderTest(c: ServiceChoice, progress: Progress): Promise<ServiceUnderTest> {
  if (!c.start) {
    const url = c.url ?? `http://127.0.0.1:${c.model.service.port}`;
    const { origin, prefix } = apiBase(url);
    const resources = c.pid
      ? new ProcResourceSource([c.pid])
      : new MetricsResourceSource(`${origin}${prefix}/metrics`, c.model.id, c.apiKey ? { authorization: `Bearer ${c.apiKey}` } : {});
    return { url, resources, stop: async () => undefined };
  }
  const configured = simulatorModelFromConfig(c.model);
  const instant = c.simProfile === 'instant';
  const sim = await startBenchSimulator(`simulator (${c.simProfile})`, instant ? withProfile(configured, INSTANT_PROFILE) : configured, instant);
  try {
    const gateway = await startGateway({ model: c.model.id, engineUrls: [sim.url], configDir: c.configDir });
    progress(`started ${c.model.id} at ${gateway.url} (pid ${gateway.process.pid}), its simulator at ${sim.url} (pid ${sim.process.pid}, ${c.simProfile} profile)`);
    const pids = [gateway.process.pid, sim.process.pid].filter((p): p is number => p !== undefined);
    return {
      url: gateway.url,
      resources: new ProcResourceSource(c.pid ? [c.pid] : pids),
      stop: async () => {
        await gateway.process.stop();
        await sim.process.stop();
      },
    };
  } catch (error) {
    await sim.process.stop();
    throw error;
  }
}

/** What `certify` and `load` share on their command line: which service, and where reports go. */
export interface ServiceCliOptions {
  model: string;
  url?: string;
  start: boolean;
  simProfile: 'config' | 'instant';
  pid?: number;
  apiKey?: string;
  configDir?: string;
  reportsDir: string;
  latencyTargetMs?: number;
  maxTokens: number;
  timeoutMs: number;
  json: boolean;
  quiet: boolean;
}
