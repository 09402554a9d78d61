import { Logger, LogLevel } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { instanceToInstance } from 'class-transformer';
import { ConnectionBudget } from '../api/connection-budget';
import { createHttpApp, Draining } from '../api/http-app';
import { MetricsListener } from '../api/metrics-listener';
import { GatewayAppModule } from './gateway-app.module';
import { ModelAppModule } from './model-app.module';
import { CitadelConfig } from '../config/citadel-config';
import { ModelServiceConfig } from '../config/model-config';
import { MetricsRegistry } from '../monitoring/metrics-registry';
import { recordServiceStart } from '../monitoring/service-starts';
import { engineSettings } from '../services/ai-models/model-module';
import { EngineProcessInfo, ModelService } from '../services/ai-models/model-service';
import { VllmProcess } from '../services/core/service-manager/vllm-process';
import { SimulatorProcess } from './engines/simulator-process';
import { clientAddresses } from './client-addresses';
import { InFlightRequests } from '../orchestration/in-flight-requests';
import { ModelDirectory } from '../orchestration/model-directory';
import { hopConfig, modelServiceUpstream, modelServiceUrls } from './model-service-upstreams';

export interface ServeOptions {
  /** Bind every listener here instead of the configured hosts (tests: 127.0.0.1). */
  host?: string;
  /** Extra `citadel-llm sim` flags for simulated engines (e.g. ['--profile', 'instant']). */
  simulatorArgs?: string[];
  logLevels?: LogLevel[];
  /** How long in-flight requests may take to finish on stop before their sockets are closed. */
  shutdownGraceMs?: number;
  /** systemd's StateDirectory ($STATE_DIRECTORY): where the service's starts are counted. */
  stateDirectory?: string;
}

/** Where one running model answers. */
export interface RunningModel {
  id: string;
  url: string;
  metricsUrl: string;
  engineUrls: string[];
  service: ModelService;
}

interface EngineHandle {
  urls: string[];
  pid?: number;
  stop(): Promise<void>;
  /** How often the engine process was restarted (simulated or managed mode). */
  restarts?(): number;
  /** Seconds from spawn to ready at the engine process's last (re)start. */
  loadSeconds?(): number | undefined;
  /** Calls `ready` each time a restarted engine answers again (simulated or managed mode). */
  onReady?(ready: () => void): void;
}

/** What VllmProcess and SimulatorProcess both are: a supervised engine process. */
interface SupervisedEngine {
  start(): Promise<string>;
  stop(): Promise<void>;
  readonly pid: number | undefined;
  readonly restarts: number;
  readonly lastLoadSeconds: number | undefined;
  on(event: 'ready', listener: (url: string) => void): unknown;
}

/**
 * The service orchestrator: starts each model's engine (simulator child, or the configured
 * URLs), then its listeners (service port, metrics port), then the gateway; stops them in the
 * reverse order. Nothing is left running after stop().
 */
export class ServiceOrchestrator {
  private readonly logger = new Logger(ServiceOrchestrator.name);
  private readonly engines: EngineHandle[] = [];
  private readonly apps: NestFastifyApplication[] = [];
  private readonly metricsListeners: MetricsListener[] = [];
  private gatewayApp?: NestFastifyApplication;
  /** `citadel-llm gateway`: the models reached through their model services. */
  private readonly remote: ModelService[] = [];
  /** The running models, where fallbacks are found. */
  private readonly directory = new ModelDirectory();
  /** The config each running model was given: reloads change it in place. */
  private readonly live = new Map<string, ModelServiceConfig>();
  readonly models: RunningModel[] = [];
  gatewayUrl?: string;
  /** Client connections of all listeners together, capped (README, "Connections"). */
  readonly connections: ConnectionBudget;
  /** Set at the start of stop(): every listener answers 503 `shutdown` from then on. */
  private readonly draining = new Draining();

  constructor(
    private readonly config: CitadelConfig,
    private readonly options: ServeOptions = {},
  ) {
    this.connections = ConnectionBudget.fromLimits(config.security.max_client_connections);
    const budget = this.connections;
    MetricsRegistry.get().watchClientConnections(() => ({ open: budget.connections, limit: budget.limit, refused: budget.refused }));
  }

  async start(): Promise<void> {
    this.countStart();
    try {
      // Engines first, in parallel: a model's listener opens only once its engine answers.
      const engines = await Promise.all(this.config.models.map((m) => this.startEngine(m)));
      for (const [i, model] of this.config.models.entries()) await this.startModel(model, engines[i]);
      if (this.config.gateway.enabled) await this.startGateway(this.models.map((m) => m.service));
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /**
   * `citadel-llm gateway`: the gateway alone, over the model services (`citadel-llm serve <model>`)
   * it reaches over HTTP, on this host or others. Each model is a ModelService whose engine pool's
   * replicas are its model services (modelServiceUpstream); fallbacks, /health/services and
   * /metrics work over them as over in-process models. Starts without waiting for the services:
   * a model whose services do not answer yet is down until its probes pass.
   */
  async startGatewayAlone(): Promise<void> {
    try {
      for (const model of this.config.models) {
        const service = modelServiceUpstream(model, modelServiceUrls(this.config, model), this.config.gateway.service_key);
        this.remote.push(service);
        this.directory.register(service);
        // After the gateway's listener has drained: its requests hold the pools.
        this.engines.push({ urls: service.config.engine.urls, stop: () => service.onApplicationShutdown() });
      }
      // Their state is known before the first request: a service that is down is not tried first.
      await Promise.all(this.remote.map((m) => m.engine.probe()));
      await this.startGateway(this.remote, true);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** citadel_llm_service_starts_total: this start, added to the count in the state directory. */
  private countStart(): void {
    const dir = this.options.stateDirectory;
    if (!dir) return;
    try {
      MetricsRegistry.get().setServiceStarts(recordServiceStart(dir));
    } catch (error) {
      // A count we cannot keep is not a reason to refuse to serve.
      this.logger.warn(`service starts are not counted: ${dir}: ${(error as Error).message}`);
    }
  }

  /**
   * Stops every listener at once: all of them answer 503 `shutdown` and stop accepting in the
   * same moment, requests in flight on any of them share one grace period, and the engines stop
   * last, once nothing can reach them.
   */
  async stop(): Promise<void> {
    // Readiness fails first; the rest is served during the shutdown delay (README, "Stopping").
    this.draining.notReady = true;
    const delay = this.config.security.shutdown_delay_ms;
    if (delay > 0 && this.apps.length + (this.gatewayApp ? 1 : 0) > 0) {
      this.logger.log(`not ready: still serving for ${delay} ms (shutdown_delay_ms) before draining`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    this.draining.started = true;
    const deadline = Date.now() + (this.options.shutdownGraceMs ?? 10_000);
    const apps = [...(this.gatewayApp ? [this.gatewayApp] : []), ...this.apps.splice(0)];
    this.gatewayApp = undefined;
    // Every listener at once: no new connection is accepted (idle ones close), and a request on
    // a connection still open gets 503 `shutdown` (the draining flag).
    for (const app of apps) app.getHttpServer().close();
    const metrics = Promise.all(this.metricsListeners.splice(0).map((l) => l.close()));
    // One grace period for the whole process. The gateway's requests run on the models' services,
    // whose engine pools close with the models' apps: so every app drains before any closes.
    await this.drain(apps, deadline);
    await Promise.all([...apps.map((app) => this.closeApp(app, deadline)), metrics]);
    await Promise.all(this.engines.splice(0).map((e) => e.stop()));
  }

  /** Waits until no app has a request in flight, or the deadline; then ends what is left. */
  private async drain(apps: NestFastifyApplication[], deadline: number): Promise<void> {
    const running = () => apps.reduce((n, app) => n + app.get(InFlightRequests).size, 0);
    while (running() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    const left = running();
    if (left === 0) return;
    this.logger.warn(`${left} request(s) still running at the end of the grace period: ending them`);
    for (const app of apps) app.get(InFlightRequests).abortAll();
  }

  /**
   * Applies a reloaded config (SIGHUP) to the running services without dropping a connection:
   * limits, caps, throttle rates, timeouts, retries, API keys, and engine URLs in external mode.
   * Ports, names, paths and engine modes need a restart; those changes are reported, not applied.
   */
  reload(next: CitadelConfig): { applied: string[]; needsRestart: string[] } {
    const applied: string[] = [];
    const needsRestart: string[] = [];
    for (const running of this.models) {
      const current = this.live.get(running.id)!;
      const wanted = next.model(running.id);
      if (!wanted) {
        needsRestart.push(`${running.id}: no longer enabled`);
        continue;
      }
      const fixed: [string, unknown, unknown][] = [
        ['service.port', current.service.port, wanted.service.port],
        ['service.host', current.service.host, wanted.service.host],
        ['monitoring.prometheus_port', current.monitoring.prometheus_port, wanted.monitoring.prometheus_port],
        ['model.name', current.model.name, wanted.model.name],
        ['model.path', current.model.path, wanted.model.path],
        ['model.max_model_len', current.model.max_model_len, wanted.model.max_model_len],
        ['engine.mode', current.engine.mode, wanted.engine.mode],
        // The routers' name tables are built at start.
        ['model.aliases', current.model.aliases.join(','), wanted.model.aliases.join(',')],
        // The engine is started with its adapters and chat template (vLLM's flags).
        ['model.lora_modules', JSON.stringify(current.model.lora_modules), JSON.stringify(wanted.model.lora_modules)],
        ['model.max_loras', current.model.max_loras, wanted.model.max_loras],
        ['model.max_lora_rank', current.model.max_lora_rank, wanted.model.max_lora_rank],
        ['engine.vllm.chat_template', current.engine.vllm.chat_template, wanted.engine.vllm.chat_template],
      ];
      for (const [key, was, now] of fixed) if (was !== now) needsRestart.push(`${running.id}: ${key} ${String(was)} → ${String(now)}`);
      // In place: the admission rules and the forwarder read these objects on every request.
      current.service.max_concurrent_requests = wanted.service.max_concurrent_requests;
      if (current.realtime && wanted.realtime) Object.assign(current.realtime, wanted.realtime);
      if (current.efficiency && wanted.efficiency) Object.assign(current.efficiency, wanted.efficiency);
      Object.assign(current.engine.timeouts, wanted.engine.timeouts);
      Object.assign(current.engine.retry, wanted.engine.retry);
      Object.assign(current.engine.circuit_breaker, wanted.engine.circuit_breaker);
      if (current.engine.mode === 'external' && wanted.engine.mode === 'external') current.engine.urls = wanted.engine.urls;
      running.service.engine.reconfigure(engineSettings(current));
      running.engineUrls = current.engine.urls;
      applied.push(running.id);
    }
    for (const service of this.remote) {
      const wanted = next.model(service.id);
      if (!wanted) {
        needsRestart.push(`${service.id}: no longer enabled`);
        continue;
      }
      // The hop's settings: the model's timeouts, retries and breaker, and its services' URLs.
      const config = hopConfig(wanted, modelServiceUrls(next, wanted));
      Object.assign(service.config.engine.timeouts, config.engine.timeouts);
      if (service.config.realtime && config.realtime) service.config.realtime.connection_timeout_seconds = config.realtime.connection_timeout_seconds;
      service.config.engine.urls = config.engine.urls;
      service.engine.reconfigure(engineSettings(config));
      applied.push(service.id);
    }
    if (this.remote.length && next.gateway.service_key !== this.config.gateway.service_key) needsRestart.push('gateway: the model services\' key (CITADEL_MODEL_SERVICE_KEY)');
    Object.assign(this.config.security, next.security);
    applied.push('security');
    return { applied, needsRestart };
  }

  private async startEngine(model: ModelServiceConfig): Promise<EngineHandle> {
    switch (model.engine.mode) {
      case 'simulated':
        return this.supervise(new SimulatorProcess({ model: model.id, configDir: this.config.configDir, args: this.simulatorArgs(model) }));
      case 'managed':
        return this.supervise(
          await VllmProcess.forModel(model, {
            logger: new Logger(`vllm:${model.id}`),
            // This server stops the engine itself, after its requests have finished.
            stopOnSignals: false,
          }),
        );
      case 'external':
        if (!model.engine.urls.length) throw new Error(`${model.id}: engine.mode is external but engine.urls is empty`);
        return { urls: model.engine.urls, stop: async () => undefined };
      default:
        throw new Error(`${model.id}: unknown engine mode "${model.engine.mode}"`);
    }
  }

  /**
   * An engine process this server runs (the simulator or vLLM), the same way for both: started
   * before its model's listener, restarted by its supervisor when it dies (its restarts counted
   * in `citadel_llm_service_restarts_total`), stopped last.
   */
  private async supervise(engine: SupervisedEngine): Promise<EngineHandle> {
    const handle: EngineHandle = {
      urls: [],
      stop: () => engine.stop(),
      restarts: () => engine.restarts,
      loadSeconds: () => engine.lastLoadSeconds,
      onReady: (ready) => engine.on('ready', ready),
    };
    this.engines.push(handle);
    handle.urls = [await engine.start()];
    handle.pid = engine.pid;
    engine.on('ready', () => (handle.pid = engine.pid));
    return handle;
  }

  private simulatorArgs(model: ModelServiceConfig): string[] {
    const s = model.engine.simulator;
    const args = s.profile === 'instant' ? ['--profile', 'instant'] : [];
    if (s.speed !== 1) args.push('--speed', String(s.speed));
    // The adapters this server routes to, with vLLM's flags, as managed mode starts vLLM: the
    // simulator then serves exactly what this process's config names.
    const adapters = Object.entries(model.model.lora_modules);
    if (adapters.length > 0) args.push('--enable-lora', '--lora-modules', ...adapters.map(([name, path]) => `${name}=${path}`));
    if (model.engine.vllm.chat_template !== undefined) args.push('--chat-template', model.engine.vllm.chat_template);
    return [...args, ...(this.options.simulatorArgs ?? [])];
  }

  private async startModel(model: ModelServiceConfig, engine: EngineHandle): Promise<void> {
    // The module sees the engine's real URLs; the loaded config stays as it was read.
    const resolved = instanceToInstance(model);
    resolved.engine.urls = engine.urls;
    this.live.set(model.id, resolved);
    const app = await createHttpApp(ModelAppModule.forRoot(resolved, { engineProcess: new EngineProcessInfo(() => engine.pid, () => engine.restarts?.() ?? 0, () => engine.loadSeconds?.()) }, this.directory), {
      bodyLimit: model.service.max_body_bytes,
      logLevels: this.options.logLevels,
      security: this.config.security,
      connections: this.connections,
      draining: this.draining,
    });
    this.apps.push(app);
    const host = this.options.host ?? model.service.host;
    await app.listen(model.service.port, host);
    const metrics = new MetricsListener(model.id, this.config.security, this.connections);
    this.metricsListeners.push(metrics);
    const metricsPort = await metrics.listen(model.monitoring.prometheus_port, host);
    const url = urlOf(app);
    const service = app.get(ModelService);
    // A restarted engine takes traffic at once, not at the next health probe.
    engine.onReady?.(() => void service.engine.probe());
    this.directory.register(service);
    this.models.push({ id: model.id, url, metricsUrl: `http://${displayHost(host)}:${metricsPort}`, engineUrls: engine.urls, service });
    const clients = clientAddresses(host, Number(new URL(url).port), this.config.serviceManager);
    this.logger.log(`${model.id} serves on ${boundUrl(app)} (metrics on ${hostPort(host, metricsPort)}, engine ${model.engine.mode} at ${engine.urls.join(', ')})${clients.length ? `; clients: ${clients.join(', ')}` : ''}`);
  }

  private async startGateway(models: ModelService[], alone = false): Promise<void> {
    const gateway = this.config.gateway;
    const biggest = Math.max(gateway.max_body_bytes, ...this.config.models.map((m) => m.service.max_body_bytes));
    const app = await createHttpApp(GatewayAppModule.forRoot(models, this.directory), {
      bodyLimit: biggest,
      logLevels: this.options.logLevels,
      security: this.config.security,
      connections: this.connections,
      draining: this.draining,
    });
    this.gatewayApp = app;
    await app.listen(gateway.port, this.options.host ?? gateway.host);
    this.gatewayUrl = urlOf(app);
    const served = alone ? models.map((m) => `${m.id} (${m.config.engine.urls.join(', ')})`) : models.map((m) => m.id);
    this.logger.log(`the gateway serves ${served.join(', ')} on ${boundUrl(app)}`);
  }

  /**
   * Stops accepting and lets requests in flight finish within the grace period; then aborts
   * what is left with a clear answer (503, or an error event ending a stream), and closes.
   */
  private async closeApp(app: NestFastifyApplication, deadline: number): Promise<void> {
    const closed = app.close();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace'>((resolve) => (timer = setTimeout(() => resolve('grace'), Math.max(0, deadline - Date.now()))));
    if ((await Promise.race([closed, graceOver])) === 'grace') {
      const inFlight = app.get(InFlightRequests);
      // drain() has already ended (and logged) those of every app; any left here are this one's.
      if (inFlight.size > 0) this.logger.warn(`${inFlight.size} request(s) still running at the end of the grace period: ending them`);
      inFlight.abortAll();
      // Their answers are written at once; then nothing may hold the close any longer.
      await new Promise((resolve) => setTimeout(resolve, 200));
      app.getHttpServer().closeAllConnections();
      await closed;
    }
    clearTimeout(timer);
  }
}

function urlOf(app: NestFastifyApplication): string {
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('the listener has no address');
  return `http://${displayHost(address.address)}:${address.port}`;
}

/** The address a listener really binds (0.0.0.0: every interface), for the log. */
function boundUrl(app: NestFastifyApplication): string {
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('the listener has no address');
  return `http://${hostPort(address.address, address.port)}`;
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** A URL this host can connect to (a wildcard address becomes loopback). */
function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
