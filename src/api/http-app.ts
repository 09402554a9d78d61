import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { OpenAIExceptionFilter } from './openai-exception.filter';
import { OpenAIValidationPipe } from './validation-pipe';

export interface HttpAppOptions {
  /** Largest accepted body; bigger ones get 413 before parsing. */
  bodyLimit: number;
  logLevels?: LogLevel[];
}

/**
 * A Nest application on Fastify with the OpenAI error contract everywhere: Nest hands Fastify's
 * own errors (body too large, bad JSON) and unknown routes to the same global exception filter.
 */
export async function createHttpApp(module: unknown, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit,
    // Longer than clients' usual keep-alive, so the client closes idle sockets first.
    keepAliveTimeout: 72_000,
    // Headers must arrive within 30 s (slow-loris); no total request timeout, streams may be long.
    requestTimeout: 0,
    return503OnClosing: true,
    logger: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(module as never, adapter, {
    rawBody: true,
    logger: options.logLevels ?? ['error', 'warn', 'log'],
  });
  app.getHttpAdapter().getInstance().server.headersTimeout = 30_000;
  app.useGlobalFilters(new OpenAIExceptionFilter());
  app.useGlobalPipes(new OpenAIValidationPipe());
  return app;
}

