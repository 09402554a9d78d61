/**
 * The framework floors of `bench floors`: three minimal proxies, each one layer more of what the
 * gateway stands on, so that the cost of each layer can be measured on its own:
 *   node-parse  node:http, JSON.parse of the body, the model check, undici, the answer buffered
 *   fastify     the same as a Fastify route (Fastify's JSON parser, reply.send(buffer))
 *   nest        the same as a NestJS controller (@Body @Req @Res) on @nestjs/platform-fastify
 * With the bare proxy (path D: node:http + undici, piped, nothing parsed) below them and the
 * gateway above, the gaps between neighbours are what each layer costs. They are floors, not
 * features: no metrics, no limits, no admission, no retries, no streaming.
 */
import { startFastifyFloor } from './floor-fastify';
import { startNestFloor } from './floor-nest';
import { startNodeParseFloor } from './floor-node';
import type { FloorProxy } from './floor-relay';

export type { FloorProxy } from './floor-relay';

export const FLOOR_NAMES = ['node-parse', 'fastify', 'nest'] as const;
export type FloorName = (typeof FLOOR_NAMES)[number];

export function isFloorName(name: string): name is FloorName {
  return (FLOOR_NAMES as readonly string[]).includes(name);
}

const STARTERS: Record<FloorName, (upstreams: readonly string[]) => Promise<FloorProxy>> = {
  'node-parse': startNodeParseFloor,
  fastify: startFastifyFloor,
  nest: startNestFloor,
};

/** Starts the floor on 127.0.0.1, a free port, in front of `upstreams` (taken in turn). */
export function startFrameworkFloor(name: FloorName, upstreams: readonly string[]): Promise<FloorProxy> {
  return STARTERS[name](upstreams);
}
