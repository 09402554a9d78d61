/**
 * The `nest` floor: a NestJS app on `@nestjs/platform-fastify` (logger off, `rawBody: true` so
 * Fastify's own JSON parser keeps the bytes), one controller whose two `@Post` methods take
 * `@Body() @Req() @Res()` and do what the Fastify floor's route does. No pipes, guards,
 * interceptors or filters: what a Nest controller costs on top of Fastify, and nothing more.
 */
import 'reflect-metadata';
import { Body, Controller, DynamicModule, Module, Post, Req, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import type { AddressInfo } from 'node:net';
import { relayToReply, RawBodyRequest } from './floor-fastify';
import { FloorProxy, FloorUpstream } from './floor-relay';

@Controller()
class FloorController {
  constructor(private readonly upstream: FloorUpstream) {}

  @Post('v1/chat/completions')
  chat(@Body() body: unknown, @Req() req: RawBodyRequest, @Res() reply: FastifyReply): Promise<void> {
    return relayToReply(this.upstream, '/v1/chat/completions', body, req.rawBody, reply);
  }

  @Post('v1/completions')
  complete(@Body() body: unknown, @Req() req: RawBodyRequest, @Res() reply: FastifyReply): Promise<void> {
    return relayToReply(this.upstream, '/v1/completions', body, req.rawBody, reply);
  }
}

@Module({})
class FloorModule {
  static forUpstream(upstream: FloorUpstream): DynamicModule {
    return { module: FloorModule, controllers: [FloorController], providers: [{ provide: FloorUpstream, useValue: upstream }] };
  }
}

export async function startNestFloor(upstreams: readonly string[], host = '127.0.0.1', port = 0): Promise<FloorProxy> {
  const upstream = new FloorUpstream(upstreams);
  let app: NestFastifyApplication | undefined;
  try {
    app = await NestFactory.create<NestFastifyApplication>(FloorModule.forUpstream(upstream), new FastifyAdapter(), { logger: false, rawBody: true });
    await app.listen(port, host);
  } catch (error) {
    await app?.close();
    await upstream.close();
    throw error;
  }
  const running = app;
  return {
    url: `http://${host}:${(running.getHttpServer().address() as AddressInfo).port}`,
    close: async () => {
      await running.close();
      await upstream.close();
    },
  };
}
