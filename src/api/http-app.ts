import { createServer, RequestListener } from 'node:http';
import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SecurityConfig } from '../config/security-config';
import { ApiError } from './api-error';
import { ApiKeyVerifier } from './api-key-verifier';
import { OpenAIExceptionFilter } from './openai-exception.filter';
import { OpenAIValidationPipe } from './validation-pipe';
import { BootQuietLogger } from './boot-logger';

export interface HttpAppOptions {
  /** Largest accepted body; bigger ones get 413 before parsing. */
  bodyLimit: number;
  logLevels?: LogLevel[];
  security?: SecurityConfig;
}

/** The verifier for the keys `security` holds now, rebuilt only when they change. */
class LiveApiKeys {
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

/** Paths that need an API key when keys are configured. */
function needsKey(url: string, security: SecurityConfig): boolean {
  return url.startsWith('/v1/') || (security.protect_metrics && url.startsWith('/metrics'));
}

/**
 * A Nest application on Fastify with the OpenAI error contract everywhere: Nest hands Fastify's
 * own errors (body too large, bad JSON) and unknown routes to the same global exception filter.
 */
export async function createHttpApp(module: unknown, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const security = options.security ?? new SecurityConfig();
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit,
    // Longer than clients' usual keep-alive, so the client closes idle sockets first.
    keepAliveTimeout: 72_000,
    // The whole request (never the answer: streams may be long) must arrive in time.
    requestTimeout: security.request_timeout_ms,
    return503OnClosing: true,
    logger: false,
    // Node checks these timeouts every connectionsCheckingInterval (30 s by default): check
    // often enough for the configured values to hold. `timeout` stays 0: it would cut streams.
    serverFactory: (handler: RequestListener) =>
      createServer(
        {
          headersTimeout: security.headers_timeout_ms,
          requestTimeout: security.request_timeout_ms,
          connectionsCheckingInterval: Math.min(1_000, security.headers_timeout_ms),
          noDelay: true,
        },
        handler,
      ),
  });
  const app = await NestFactory.create<NestFastifyApplication>(module as never, adapter, {
    rawBody: true,
    logger: new BootQuietLogger(options.logLevels ?? ['error', 'warn', 'log']),
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Before the body is read or parsed: an unauthenticated client costs us nothing more. The
  // keys are read from `security` on each request, so a config reload changes them at once.
  const keys = new LiveApiKeys(security);
  fastify.addHook('onRequest', async (req, reply) => {
    const verifier = keys.current();
    if (verifier.enabled && needsKey(req.url, security) && !verifier.verify(req.headers.authorization)) {
      const error = ApiError.unauthorized();
      await reply.status(401).headers(error.headers).send(error.body());
      return reply;
    }
    return undefined;
  });
  if (security.cors_origins.length) app.enableCors({ origin: security.cors_origins });
  app.useGlobalFilters(new OpenAIExceptionFilter());
  app.useGlobalPipes(new OpenAIValidationPipe({ maxDepth: security.max_json_depth, maxNodes: security.max_json_nodes }));
  return app;
}

