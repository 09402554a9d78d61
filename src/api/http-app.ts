import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SecurityConfig } from '../config/security-config';
import { ApiError } from './api-error';
import { ApiKeyVerifier } from './api-key-verifier';
import { OpenAIExceptionFilter } from './openai-exception.filter';
import { OpenAIValidationPipe } from './validation-pipe';

export interface HttpAppOptions {
  /** Largest accepted body; bigger ones get 413 before parsing. */
  bodyLimit: number;
  logLevels?: LogLevel[];
  security?: SecurityConfig;
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
  });
  const app = await NestFactory.create<NestFastifyApplication>(module as never, adapter, {
    rawBody: true,
    logger: options.logLevels ?? ['error', 'warn', 'log'],
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Slow clients are cut; `server.timeout` stays 0, a socket timeout would kill long streams.
  fastify.server.headersTimeout = security.headers_timeout_ms;
  const keys = new ApiKeyVerifier(security.api_key_digests);
  if (keys.enabled) {
    // Before the body is read or parsed: an unauthenticated client costs us nothing more.
    fastify.addHook('onRequest', async (req, reply) => {
      if (needsKey(req.url, security) && !keys.verify(req.headers.authorization)) {
        const error = ApiError.unauthorized();
        await reply.status(401).headers(error.headers).send(error.body());
        return reply;
      }
      return undefined;
    });
  }
  if (security.cors_origins.length) app.enableCors({ origin: security.cors_origins });
  app.useGlobalFilters(new OpenAIExceptionFilter());
  app.useGlobalPipes(new OpenAIValidationPipe({ maxDepth: security.max_json_depth, maxNodes: security.max_json_nodes }));
  return app;
}

