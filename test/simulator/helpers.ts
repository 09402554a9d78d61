/** Test helpers: a simulator on 127.0.0.1:0 and a tiny HTTP client on node:http (no keep-alive). */
import { ClientRequest, IncomingHttpHeaders, IncomingMessage, request } from 'node:http';
import { parsePrometheusText, sampleValue } from '../../src/bench/prometheus-text';
import { SseDataReader } from '../../src/bench/sse-reader';
import { startSimulator } from '../../src/simulator/sim-server';
import { INSTANT_PROFILE } from '../../src/simulator/profiles';
import type { RunningSimulator, SimulatorModel, SimulatorOptions, SimulatorProfile } from '../../src/simulator/types';

export const SERVED = 'org/test-model';

export function testModel(overrides: Partial<SimulatorModel> = {}, profile: Partial<SimulatorProfile> = {}): SimulatorModel {
  return {
    id: 'test-model',
    servedName: SERVED,
    maxModelLen: 4096,
    maxNumSeqs: 8,
    ...overrides,
    profile: { ...INSTANT_PROFILE, ...(overrides.profile ?? {}), ...profile },
  };
}

export function startTestSimulator(opts: Partial<SimulatorOptions> = {}): Promise<RunningSimulator> {
  return startSimulator({ models: [testModel()], instant: true, ...opts }, { port: 0, host: '127.0.0.1' });
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

export function http(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(
      `${url}${path}`,
      {
        method,
        agent: false,
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = undefined;
          try {
            json = text.length > 0 ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const post = (url: string, path: string, body: unknown, headers?: Record<string, string>) =>
  http(url, 'POST', path, body, headers);
export const get = (url: string, path: string) => http(url, 'GET', path);

/** The `data:` payloads of an SSE body, in order; vLLM writes nothing but `data:` events. */
export function sseData(text: string): string[] {
  const reader = new SseDataReader();
  const events = reader.pushEvents(text);
  expect(events.filter((e) => e.event !== undefined || e.id !== undefined)).toEqual([]);
  expect(reader.comments).toEqual([]);
  expect(text.trim() === '' || text.endsWith('\n\n')).toBe(true);
  return events.map((e) => e.data);
}

/** Parsed SSE chunks, checking that [DONE] is last and only last. */
export function sseChunks(text: string): any[] {
  const data = sseData(text);
  expect(data[data.length - 1]).toBe('[DONE]');
  expect(data.slice(0, -1)).not.toContain('[DONE]');
  return data.slice(0, -1).map((d) => JSON.parse(d));
}

/** A request left open so a test can abort it; `received` collects what arrived so far. */
export interface OpenRequest {
  req: ClientRequest;
  response: Promise<IncomingMessage>;
  received(): string;
  /** Resolves when the response ends or the connection breaks (never rejects). */
  finished: Promise<'end' | 'error'>;
}

export function openRequest(url: string, path: string, body: unknown, headers: Record<string, string> = {}): OpenRequest {
  let data = '';
  let settle!: (how: 'end' | 'error') => void;
  const finished = new Promise<'end' | 'error'>((r) => (settle = r));
  let req!: ClientRequest;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req = request(
      `${url}${path}`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => settle('end'));
        res.on('error', () => settle('error'));
        res.on('aborted', () => settle('error'));
        resolve(res);
      },
    );
    req.on('error', (err) => {
      settle('error');
      reject(err);
    });
    req.end(JSON.stringify(body));
  });
  response.catch(() => undefined);
  return { req, response, received: () => data, finished };
}

/** Polls until cond() is true (a bounded wait, not a timing assertion). */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The value of one sample in a Prometheus text exposition (labels in any order), or undefined. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return sampleValue(parsePrometheusText(text), name, labels);
}

export const chatBody = (content: string, extra: Record<string, unknown> = {}) => ({
  model: SERVED,
  messages: [{ role: 'user', content }],
  ...extra,
});
