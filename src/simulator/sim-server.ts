/**
 * The simulator's HTTP server: plain node:http (no framework on the path: benchmarks compare proxies
 * against it directly). Routes vLLM's OpenAI-server endpoints plus /admin/faults and
 * /admin/hanging.
 *
 * The simulator is deliberately ours: it emulates vLLM's endpoints, shapes, errors, metrics and
 * latency model (not a generic mock server), so that every test runs against what vLLM would say.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SimulatorError } from './errors';
import { FaultState } from './faults';
import { handleGetFaults, handleGetHanging, handleSetFaults } from './handlers/admin';
import { handleChat } from './handlers/chat';
import { handleCompletions } from './handlers/completions';
import { handleHealth, handleMetrics, handleModels, handleVersion } from './handlers/info';
import { handleCancelResponse, handleCreateResponse, handleRetrieveResponse } from './handlers/responses';
import { handleDetokenize, handleTokenize } from './handlers/tokenize';
import { UNSUPPORTED_ENDPOINTS } from './handlers/unsupported';
import { sendApiError, sendDetail, sendJson } from './http-util';
import { SimMetrics } from './metrics';
import { assertValidProfile } from './profiles';
import { ResponseStore } from './responses/store';
import { Scheduler } from './scheduler';
import { tokenizerFor } from './tokenizer';
import type { Adapter, Engine, SimContext } from './sim-context';
import { IMITATED_TOOL_PARSERS } from './tools/tool-output';
import type { FaultSettings, RunningSimulator, SimulatorOptions, SimulatorStats } from './types';
import { versionFeatures } from './vllm-version';

type Handler = (ctx: SimContext, req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Which endpoints still answer while the engine is dead or starting. */
type Availability = 'always' | 'generation' | 'health' | 'other';

interface Route {
  methods: Partial<Record<string, Handler>>;
  availability: Availability;
}

const ROUTES: Record<string, Route> = {
  '/v1/completions': { methods: { POST: handleCompletions }, availability: 'generation' },
  '/v1/chat/completions': { methods: { POST: handleChat }, availability: 'generation' },
  '/v1/responses': { methods: { POST: handleCreateResponse }, availability: 'generation' },
  '/v1/models': { methods: { GET: handleModels }, availability: 'other' },
  '/health': { methods: { GET: handleHealth }, availability: 'health' },
  '/ping': { methods: { GET: handleHealth, POST: handleHealth }, availability: 'health' },
  '/version': { methods: { GET: handleVersion }, availability: 'other' },
  '/tokenize': { methods: { POST: handleTokenize }, availability: 'other' },
  '/detokenize': { methods: { POST: handleDetokenize }, availability: 'other' },
  '/metrics': { methods: { GET: handleMetrics }, availability: 'always' },
  '/admin/faults': { methods: { GET: handleGetFaults, POST: handleSetFaults }, availability: 'always' },
  '/admin/hanging': { methods: { GET: handleGetHanging }, availability: 'always' },
  // Pooling and speech endpoints: vLLM's 400 for a generative model.
  ...Object.fromEntries(
    Object.entries(UNSUPPORTED_ENDPOINTS).map(([path, handler]): [string, Route] => [path, { methods: { POST: handler }, availability: 'other' }]),
  ),
};

/** Routes with a path parameter: /v1/responses/{response_id} and /v1/responses/{response_id}/cancel. */
const RESPONSE_ITEM: Route = { methods: { GET: handleRetrieveResponse }, availability: 'other' };
const RESPONSE_CANCEL: Route = { methods: { POST: handleCancelResponse }, availability: 'other' };

function paramRoute(path: string): Route | undefined {
  if (!path.startsWith('/v1/responses/')) return undefined;
  const rest = path.slice('/v1/responses/'.length);
  if (rest.length === 0) return undefined;
  const slash = rest.indexOf('/');
  if (slash === -1) return RESPONSE_ITEM;
  return rest.slice(slash) === '/cancel' && slash > 0 ? RESPONSE_CANCEL : undefined;
}

const ENGINE_DEAD = new SimulatorError(503, 'EngineCore encountered an issue. See stack trace (above) for the root cause.');
const STARTING = new SimulatorError(503, 'The engine is still starting up (simulated slow start).');

function resolveOptions(opts: SimulatorOptions) {
  if (!Array.isArray(opts.models) || opts.models.length === 0) throw new Error('the simulator needs at least one model');
  const names = new Set<string>();
  for (const m of opts.models) {
    assertValidProfile(m.profile, `model ${m.id}`);
    if (!Number.isInteger(m.maxModelLen) || m.maxModelLen < 2) throw new Error(`model ${m.id}: maxModelLen must be an integer >= 2`);
    if (!Number.isInteger(m.maxNumSeqs) || m.maxNumSeqs < 1) throw new Error(`model ${m.id}: maxNumSeqs must be an integer >= 1`);
    if (names.has(m.servedName)) throw new Error(`served name ${m.servedName} is used twice`);
    if (m.enableAutoToolChoice && !m.toolCallParser) {
      // vLLM refuses to start this way too.
      throw new Error(`model ${m.id}: --enable-auto-tool-choice requires --tool-call-parser`);
    }
    if (m.toolCallParser && !(IMITATED_TOOL_PARSERS as readonly string[]).includes(m.toolCallParser)) {
      throw new Error(`model ${m.id}: the simulator does not imitate the '${m.toolCallParser}' tool-call parser (it imitates: ${IMITATED_TOOL_PARSERS.join(', ')})`);
    }
    if (m.maxLogprobs !== undefined && !(Number.isInteger(m.maxLogprobs) && m.maxLogprobs >= 0)) {
      throw new Error(`model ${m.id}: maxLogprobs must be an integer >= 0`);
    }
    names.add(m.servedName);
  }
  for (const m of opts.models) {
    for (const lora of m.loraModules ?? []) {
      // vLLM refuses a second adapter of one name ("has already been loaded"), and a request's
      // model would be ambiguous if an adapter bore a base model's name.
      if (names.has(lora.name)) throw new Error(`LoRA adapter name ${lora.name} is used twice (or is a served model name)`);
      if (!lora.path) throw new Error(`LoRA adapter ${lora.name}: a path is needed`);
      names.add(lora.name);
    }
  }
  const speed = opts.speed ?? 1;
  if (!Number.isFinite(speed) || speed <= 0) throw new Error(`speed must be a number > 0 (got ${speed})`);
  return {
    models: opts.models,
    speed,
    instant: opts.instant ?? false,
    outputMode: opts.outputMode ?? 'random',
    seed: opts.seed ?? 0,
    vllmVersion: opts.vllmVersion ?? '0.11.0',
    enableResponsesStore: opts.enableResponsesStore ?? false,
  };
}

export function startSimulator(opts: SimulatorOptions, listen: { port: number; host?: string }): Promise<RunningSimulator> {
  let resolved: ReturnType<typeof resolveOptions>;
  let faults: FaultState;
  try {
    resolved = resolveOptions(opts);
    faults = new FaultState(opts.faults, resolved.seed);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  const metrics = new SimMetrics();
  const engines = new Map<string, Engine>();
  for (const model of resolved.models) {
    // The gauges read the scheduler at scrape time; the scheduler needs the metrics first.
    const ref: { scheduler?: Scheduler } = {};
    const modelMetrics = metrics.forModel(model.servedName, {
      running: () => ref.scheduler?.running() ?? 0,
      waiting: () => ref.scheduler?.waiting() ?? 0,
      kvCacheUsage: () => ref.scheduler?.kvCacheUsage() ?? 0,
    });
    const scheduler = new Scheduler(model, { speed: resolved.speed, instant: resolved.instant }, modelMetrics);
    ref.scheduler = scheduler;
    engines.set(model.servedName, { model, scheduler, metrics: modelMetrics, tokenizer: tokenizerFor(model) });
  }
  const adapters = new Map<string, Adapter>();
  for (const engine of engines.values()) for (const lora of engine.model.loraModules ?? []) adapters.set(lora.name, { ...lora, engine });
  const ctx: SimContext = {
    engines,
    adapters,
    defaultEngine: engines.get(resolved.models[0].servedName) as Engine,
    outputMode: resolved.outputMode,
    seed: resolved.seed,
    vllmVersion: resolved.vllmVersion,
    features: versionFeatures(resolved.vllmVersion),
    faults,
    metrics,
    hanging: new Set(),
    responses: new ResponseStore(resolved.enableResponsesStore),
    hangAborted: 0,
  };

  const onError = (res: ServerResponse, err: unknown): void => {
    if (err instanceof SimulatorError) {
      sendApiError(res, err);
    } else if (!res.headersSent) {
      const message = err instanceof Error ? err.message : String(err);
      sendJson(res, 500, new SimulatorError(500, message).toBody());
    } else {
      res.destroy();
    }
  };

  const server = createServer({ noDelay: true }, (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const route = ROUTES[path] ?? paramRoute(path);
    if (!route) {
      sendDetail(res, 404);
      return;
    }
    const handler = route.methods[req.method ?? 'GET'];
    if (!handler) {
      sendDetail(res, 405, Object.keys(route.methods).join(', '));
      return;
    }
    if (route.availability === 'generation' || route.availability === 'other') {
      if (faults.engineDead()) {
        sendApiError(res, ENGINE_DEAD);
        return;
      }
      if (route.availability === 'generation' && faults.starting()) {
        sendApiError(res, STARTING);
        return;
      }
    }
    try {
      const result = handler(ctx, req, res);
      if (result) result.catch((err: unknown) => onError(res, err));
    } catch (err) {
      onError(res, err);
    }
  });

  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A client that sends garbage gets a 400 from node; never let it throw.
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  const stats = (): SimulatorStats => {
    const total: SimulatorStats = { running: 0, waiting: 0, completed: 0, aborted: ctx.hangAborted };
    for (const e of engines.values()) {
      const s = e.scheduler.stats();
      total.running += s.running;
      total.waiting += s.waiting;
      total.completed += s.completed;
      total.aborted += s.aborted;
    }
    return total;
  };

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((done) => {
      for (const e of engines.values()) e.scheduler.shutdown();
      ctx.hanging.clear();
      server.close(() => done());
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  };

  return new Promise<RunningSimulator>((resolve, reject) => {
    const onListenError = (err: Error) => reject(err);
    server.once('error', onListenError);
    server.listen(listen.port, listen.host ?? '127.0.0.1', () => {
      server.off('error', onListenError);
      const address = server.address() as AddressInfo;
      const host = address.address.includes(':') ? `[${address.address}]` : address.address;
      resolve({
        url: `http://${host}:${address.port}`,
        port: address.port,
        close,
        setFaults: (f: Partial<FaultSettings>) => faults.set(f),
        stats,
      });
    });
  });
}
