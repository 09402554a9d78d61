import { createServer, RequestListener, Server } from 'node:http';
import { LogLevel, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { TestingModule } from '@nestjs/testing';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ModelServiceConfig } from '../config/model-config';
import { SecurityConfig } from '../config/security-config';
import { ApiError } from '../common/api-error';
import { registerAccessLog } from './access-log';
import { ApiKeyVerifier } from './api-key-verifier';
import { writeClientError } from './client-error';
import { ConnectionBudget, REFUSED } from './connection-budget';
import { useLimitedJsonParser } from './json-body-parser';
import { lingerOnEarlyClose } from './lingering-close';
import { OpenAIExceptionFilter } from './openai-exception.filter';
import { routeNeedsKey } from './route-access';
import { requestIdOf } from './request-id';
import { OpenAIValidationPipe } from './validation-pipe';
import { BootQuietLogger } from './boot-logger';

export interface HttpAppOptions {
  /** Largest accepted body; bigger ones get 413 before parsing. */
  bodyLimit: number;
  logLevels?: LogLevel[];
  security?: SecurityConfig;
  /** The process-wide client-connection cap this listener counts against. */
  connections?: ConnectionBudget;
  /** Set when the process begins to stop: every listener then answers 503 `shutdown` at once. */
  draining?: Draining;
}

/**
 * Whether the process is stopping; one for all its listeners, so they all say so at once.
 * `notReady` comes first: /health/ready answers 503 while everything else is still served (the
 * shutdown delay, for load balancers and kubelets to take the instance out); then `started`:
 * every request gets 503 `shutdown` while those in flight finish.
 */
export class Draining {
  notReady = false;
  started = false;
}

const NOT_READY_BODY = JSON.stringify({ status: 'not_ready', reason: 'shutting_down' });

const SHUTDOWN_BODY = JSON.stringify({ error: { message: 'The server is shutting down; retry on another instance.', type: 'server_error', param: null, code: 'shutdown' } });

/** The verifier for the keys `security` holds now, rebuilt only when they change. */
export class LiveApiKeys {
  private digests?: readonly string[];
  private verifier?: ApiKeyVerifier;

  constructor(private readonly security: SecurityConfig) {}

  current(): ApiKeyVerifier {
    if (this.digests !== this.security.api_key_digests) {
      this.digests = this.security.api_key_digests;
      this.verifier = new ApiKeyVerifier(this.digests);
    }
    return this.verifier!;
  }
}

/**
 * A node:http server with the listener settings every port shares: slow-client timeouts checked
 * every second, the keep-alive timeout (set here: Fastify's own `keepAliveTimeout` option does
 * not reach a server made by `serverFactory`), Nagle off, the connection budget, and a lingering
 * close so that an answer sent before the body was read reaches a client that is still sending.
 */
export function createListenerServer(handler: RequestListener, security: SecurityConfig, connections?: ConnectionBudget): Server {
  const server = createServer(
    {
      headersTimeout: security.headers_timeout_ms,
      requestTimeout: security.request_timeout_ms,
      // Node checks these timeouts every connectionsCheckingInterval (30 s by default): check
      // often enough for the configured values to hold. `timeout` stays 0: it would cut streams.
      connectionsCheckingInterval: Math.min(1_000, security.headers_timeout_ms),
      noDelay: true,
    },
    handler,
  );
  // Longer than load balancers' usual idle timeout (60 s), so the client closes idle sockets first.
  server.keepAliveTimeout = security.keep_alive_timeout_ms;
  connections?.watch(server);
  lingerOnEarlyClose(server);
  return server;
}

/** Counts the `Host` header lines: RFC 9112 §3.2 says a request with more than one gets a 400. */
function hostLines(rawHeaders: string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].length === 4 && rawHeaders[i].toLowerCase() === 'host') count++;
  return count;
}

/** `/v1/models/?x` → `/v1/models?x`; undefined when the path has no trailing slash to drop. */
function withoutTrailingSlash(url: string): string | undefined {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (path.length < 2 || !path.endsWith('/') || !path.startsWith('/')) return undefined;
  return path.replace(/\/+$/, '') + (query < 0 ? '' : url.slice(query));
}

/**
 * A Nest application on Fastify with the OpenAI error contract everywhere: Nest hands Fastify's
 * own errors (body too large, bad JSON) and unknown routes to the same global exception filter.
 */
export async function createHttpApp(module: unknown, options: HttpAppOptions): Promise<NestFastifyApplication> {
  return buildHttpApp((adapter, appOptions) => NestFactory.create<NestFastifyApplication>(module as never, adapter, appOptions), options);
}

/**
 * The same app over a compiled testing module (`Test.createTestingModule(...).compile()`),
 * initialised and ready for an in-process client (`supertest(app.getHttpServer())`): README
 * "Using the modules in your own tests". The body limit is the model's `service.max_body_bytes`
 * unless given (it must be given for a module that holds no model config).
 */
export async function createTestingHttpApp(moduleRef: TestingModule, options: Partial<HttpAppOptions> = {}): Promise<NestFastifyApplication> {
  const bodyLimit = options.bodyLimit ?? moduleRef.get(ModelServiceConfig, { strict: false }).service.max_body_bytes;
  const app = await buildHttpApp((adapter, appOptions) => moduleRef.createNestApplication<NestFastifyApplication>(adapter, appOptions), {
    logLevels: ['error', 'warn'],
    ...options,
    bodyLimit,
  });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

type AppFactory = (adapter: FastifyAdapter, options: NestApplicationOptions) => Promise<NestFastifyApplication> | NestFastifyApplication;

async function buildHttpApp(create: AppFactory, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const security = options.security ?? new SecurityConfig();
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit,
    // The whole request (never the answer: streams may be long) must arrive in time.
    requestTimeout: security.request_timeout_ms,
    // Our onRequest hook answers while stopping, in OpenAI's shape (Fastify's own 503 is not).
    return503OnClosing: false,
    logger: false,
    clientErrorHandler: writeClientError,
    genReqId: requestIdOf,
    serverFactory: (handler: RequestListener) => createListenerServer(handler, security, options.connections),
  });
  const app = await create(adapter, {
    rawBody: true,
    logger: new BootQuietLogger(options.logLevels ?? ['error', 'warn', 'log']),
  });
  useLimitedJsonParser(app, options.bodyLimit, () => ({ maxDepth: security.max_json_depth, maxNodes: security.max_json_nodes }));
  const fastify = app.getHttpAdapter().getInstance();
  // Before the body is read or parsed: an unauthenticated client costs us nothing more. The
  // decision is made on the route the router matched, never on the raw request target, and a
  // path that matches no route needs a key too. Keys are read from `security` on each request,
  // so a config reload changes them at once.
  const keys = new LiveApiKeys(security);
  registerAccessLog(fastify, () => security.access_log);
  fastify.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', req.id);
    if ((req.raw.socket as { [REFUSED]?: true } | null)?.[REFUSED]) {
      // Over the connection budget: the 503 was written when the connection came in.
      req.raw.socket.destroy();
      return reply.hijack();
    }
    if (options.draining?.started) {
      await reply.status(503).headers({ 'content-type': 'application/json', 'retry-after': '1', connection: 'close' }).send(SHUTDOWN_BODY);
      return reply;
    }
    if (options.draining?.notReady && req.routeOptions.url === '/health/ready') {
      await reply.status(503).header('content-type', 'application/json').send(NOT_READY_BODY);
      return reply;
    }
    if (hostLines(req.raw.rawHeaders) > 1) {
      const error = ApiError.invalid('The request has more than one Host header.', null, 'bad_request');
      await reply.status(400).header('connection', 'close').send(error.body());
      return reply;
    }
    const verifier = keys.current();
    if (verifier.enabled && routeNeedsKey(req.method, req.routeOptions.url, security) && !verifier.verify(req.headers.authorization)) {
      const error = ApiError.unauthorized();
      await reply.status(401).headers(error.headers).send(error.body());
      return reply;
    }
    // `/v1/models/` matches `/v1/models/:id` with an empty id: it is treated as matching no route.
    if (req.routeOptions.url === undefined || Object.values((req.params ?? {}) as Record<string, string>).includes('')) {
      // As vLLM (Starlette) does: a path with a trailing slash redirects to the route without it.
      const location = withoutTrailingSlash(req.url);
      if (location && fastify.hasRoute({ method: req.method as 'GET', url: location.split('?')[0] })) {
        await reply.status(307).header('location', location).send();
        return reply;
      }
    }
    // As vLLM (FastAPI) does: a body sent without a Content-Type is read as JSON.
    if (req.headers['content-type'] === undefined && (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)) {
      req.headers['content-type'] = 'application/json';
    }
    return undefined;
  });
  if (security.cors_origins.length) app.enableCors({ origin: security.cors_origins });
  app.useGlobalFilters(new OpenAIExceptionFilter());
  app.useGlobalPipes(new OpenAIValidationPipe());
  return app;
}
