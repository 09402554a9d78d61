/**
 * `citadel-llm sim` for the shipped models, as child processes (the compiled CLI in dist/):
 * Mixtral, whose config enables auto tool choice with the mistral parser, and OpenChat, whose does
 * not. The clients' tests run against these, as they would against two vLLM servers.
 */
import { join } from 'node:path';
import { SimulatorProcess } from '../../../src/server/engines/simulator-process';

export const MIXTRAL = 'mistralai/Mixtral-8x7B-Instruct-v0.1';
export const OPENCHAT = 'openchat/openchat-3.5-0106';

export interface SimPair {
  mixtral: string;
  openchat: string;
  stop(): Promise<void>;
}

export async function startSimPair(): Promise<SimPair> {
  const configDir = join(__dirname, '..', '..', '..', 'config');
  const mixtral = new SimulatorProcess({ model: 'mixtral-8x7b', configDir, args: ['--profile', 'instant'] });
  const openchat = new SimulatorProcess({ model: 'openchat-3.5', configDir, args: ['--profile', 'instant'] });
  const [m, o] = await Promise.all([mixtral.start(), openchat.start()]);
  return { mixtral: m, openchat: o, stop: async () => void (await Promise.all([mixtral.stop(), openchat.stop()])) };
}

/** The pair for one test file: started before its tests, stopped after; filled in at the start. */
export function simPairForSuite(): SimPair {
  const sims = {} as SimPair;
  beforeAll(async () => {
    Object.assign(sims, await startSimPair());
  }, 30_000);
  afterAll(() => sims.stop?.());
  return sims;
}

/** Tools every client test offers: a function with a required enum, and one with numbers. */
export const WEATHER_PARAMETERS = {
  type: 'object',
  properties: {
    city: { type: 'string', minLength: 1 },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
  },
  required: ['city', 'unit'],
  additionalProperties: false,
};

export const ADD_PARAMETERS = {
  type: 'object',
  properties: { a: { type: 'integer', minimum: 0, maximum: 100 }, b: { type: 'integer', minimum: 0, maximum: 100 } },
  required: ['a', 'b'],
  additionalProperties: false,
};

export const TOOLS = [
  { type: 'function' as const, function: { name: 'get_weather', description: 'Current weather in a city', parameters: WEATHER_PARAMETERS } },
  { type: 'function' as const, function: { name: 'add', description: 'Adds two integers', parameters: ADD_PARAMETERS } },
];

export const PERSON_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1 },
    age: { type: 'integer', minimum: 0, maximum: 120 },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
  },
  required: ['name', 'age', 'tags'],
  additionalProperties: false,
};
