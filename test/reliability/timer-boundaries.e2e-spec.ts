import { connect } from 'node:net';
import { join } from 'node:path';
import { sseDataOf } from '../../src/bench/sse-reader';
import { SimulatorProcess } from '../../src/server/engines/simulator-process';
import { ServiceOrchestrator } from '../../src/server/service-orchestrator';
import { resetEngine, setFaults } from '../support/engine-control';
import { HeldListener } from '../support/held-listener';
import { REPO, startCitadel } from '../support/start-citadel';

/*
 * The timer matrix (README, "Streaming": the timers on the path): every timer on the request path
 * at each side of its boundary, streaming and non-streaming where both apply, with real listeners
 * and a slow simulator, no mocked clock on the HTTP path. Covered:
 * - connect_ms, streaming and non-streaming: connected at ~1 s → answered; not accepted within it
 *   → 502 engine_unreachable before any byte; with another replica → retried there, 200.
 * - first_byte_ms (non-streaming): answer after idle_ms and first_token_ms but before it → 200;
 *   answer due after it → 504 engine_timeout. A stream's first token after it → not cut.
 * - first_token_ms (streaming, from the request to the first data event; vLLM's headers come at
 *   once): first token after idle_ms but before it → every token (the reproduction); first
 *   token due after it → an in-band 504, then [DONE].
 * - idle_ms (streaming, between events): tokens 0.75 s apart → every token; silence after 2 tokens
 *   → an in-band 504, then [DONE]; OpenChat's realtime.connection_timeout_seconds in its place.
 *   A non-streaming answer slower than idle_ms → 200.
 * - CITADEL_HEADERS_TIMEOUT_MS, streaming and non-streaming: headers complete before it → answered;
 *   headers due after it → 408.
 * - CITADEL_REQUEST_TIMEOUT_MS, streaming and non-streaming: body complete before it, answer lasting
 *   past it → answered in full; body due after it → 408.
 * Each delay stays about a second or more away from the timer it is set against, on either side,
 * so that a slow machine cannot change the outcome.
 *
 * Most cases use Yi-34B's simulator at 2% speed: every answer's headers at once (as vLLM sends them
 * for a stream), its first token after (30 ms + 0.07 ms per prompt token) × 50 ≈ 1.5 s + 3.5 ms per
 * prompt token, and 0.75 s between tokens (config/services/yi-34b.yaml, `engine.simulator`).
 */

const YI_SLOW = ['--speed', '0.02'];
/** A user message of about n prompt tokens (Yi's tokenizer: one per word, plus ~10 of the template). */
const words = (n: number) => 'hello '.repeat(n) + 'x';

interface Answer {
  status: number;
  contentType: string;
  /** The SSE data payloads of a stream. */
  events: string[];
  json?: { error?: { code: unknown; type: string; message: string }; choices?: unknown[] };
}

async function chat(url: string, body: { stream: boolean; max_tokens: number; prompt?: string }): Promise<Answer> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: body.prompt ?? 'x' }], stream: body.stream, max_tokens: body.max_tokens }),
  });
  const contentType = res.headers.get('content-type') ?? '';
  const text = await res.text();
  if (contentType.startsWith('text/event-stream')) return { status: res.status, contentType, events: sseDataOf(text) };
  return { status: res.status, contentType, events: [], json: JSON.parse(text) as Answer['json'] };
}

/** A stream that ran to its end: token events, then [DONE], no error. */
function expectComplete(answer: Answer, tokens: number): void {
  expect(answer.status).toBe(200);
  expect(answer.events[answer.events.length - 1]).toBe('[DONE]');
  expect(answer.events.some((e) => e.includes('"error"'))).toBe(false);
  const contentChunks = answer.events.filter((e) => e !== '[DONE]' && (JSON.parse(e) as { choices: unknown[] }).choices.length > 0);
  expect(contentChunks.length).toBeGreaterThanOrEqual(tokens);
}

/** A stream ended by one of our timers: 200 and its headers came first, then an in-band 504, then [DONE]. */
function expectEndedInBand(answer: Answer, message: RegExp): { error: { message: string } } {
  expect(answer.status).toBe(200);
  expect(answer.events[answer.events.length - 1]).toBe('[DONE]');
  const error = JSON.parse(answer.events[answer.events.length - 2]) as { error: { message: string; code: number; type: string } };
  expect(error.error).toMatchObject({ code: 504, type: 'timeout_error' });
  expect(error.error.message).toMatch(message);
  return error;
}

function expectJsonError(answer: Answer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.contentType).toMatch(/json/);
  expect(answer.json?.error?.code).toBe(code);
}

describe('engine timers: first_token_ms, idle_ms and first_byte_ms with a slow engine (idle_ms 1800 < first_token_ms 4200 < first_byte_ms 7000)', () => {
  let server: ServiceOrchestrator;
  let url: string;
  let engine: string;

  beforeAll(async () => {
    server = await startCitadel({
      only: ['yi-34b'],
      simulatorArgs: YI_SLOW,
      env: { YI_34B_IDLE_TIMEOUT_MS: '1800', YI_34B_FIRST_TOKEN_TIMEOUT_MS: '4200', YI_34B_FIRST_BYTE_TIMEOUT_MS: '7000' },
    });
    url = server.models[0].url;
    engine = server.models[0].engineUrls[0];
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  afterEach(() => resetEngine(engine));

  // The reproduction: the wait for the first token is the first-token timer's alone.
  it('stream, first token at ~3 s (after idle_ms, before first_token_ms), then a token every 0.75 s (within idle_ms): every token, then [DONE]', async () => {
    expectComplete(await chat(url, { stream: true, max_tokens: 3, prompt: words(420) }), 3);
  }, 30_000);

  it('stream, first token due at ~6.8 s (after first_token_ms): the headers, then an in-band 504 at first_token_ms, then [DONE]', async () => {
    const answer = await chat(url, { stream: true, max_tokens: 1, prompt: words(1500) });
    expectEndedInBand(answer, /first-token timeout/);
    // Nothing but the error came: no token was relayed.
    expect(answer.events).toHaveLength(2);
  }, 30_000);

  it('stream, 2 tokens then silence (stall-after-2, longer than idle_ms): the 2 tokens, then an in-band 504 after idle_ms, then [DONE]', async () => {
    await setFaults(engine, { stallAfterTokens: 2 });
    const answer = await chat(url, { stream: true, max_tokens: 6 });
    expectEndedInBand(answer, /sent nothing for 1800 ms/);
    expect(answer.events.slice(0, -2).filter((e) => (JSON.parse(e) as { choices: unknown[] }).choices.length > 0).length).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('non-streaming, answer at ~5.3 s (after idle_ms and first_token_ms, before first_byte_ms): 200 with the answer', async () => {
    const answer = await chat(url, { stream: false, max_tokens: 6 });
    expect(answer.status).toBe(200);
    expect(answer.json?.choices).toHaveLength(1);
  }, 30_000);
});

describe('engine timers, the other way round (first_byte_ms 2500 < first_token_ms 7000; idle_ms 1800)', () => {
  let server: ServiceOrchestrator;
  let url: string;

  beforeAll(async () => {
    server = await startCitadel({
      only: ['yi-34b'],
      simulatorArgs: YI_SLOW,
      env: { YI_34B_IDLE_TIMEOUT_MS: '1800', YI_34B_FIRST_TOKEN_TIMEOUT_MS: '7000', YI_34B_FIRST_BYTE_TIMEOUT_MS: '2500' },
    });
    url = server.models[0].url;
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('stream, first token at ~5 s (after first_byte_ms and idle_ms, before first_token_ms): every token, then [DONE]', async () => {
    expectComplete(await chat(url, { stream: true, max_tokens: 2, prompt: words(1000) }), 2);
  }, 30_000);

  it('non-streaming, answer due at ~4.5 s (after first_byte_ms): 504 engine_timeout at first_byte_ms', async () => {
    expectJsonError(await chat(url, { stream: false, max_tokens: 5 }), 504, 'engine_timeout');
  }, 30_000);
});

describe("OpenChat's idle timer is realtime.connection_timeout_seconds (1 s here; idle_ms 60 s does not apply)", () => {
  let server: ServiceOrchestrator;
  let url: string;
  let engine: string;

  beforeAll(async () => {
    server = await startCitadel({
      only: ['openchat-3.5'],
      env: { OPENCHAT_3_5_IDLE_TIMEOUT_MS: '60000' },
      configure: (config) => (config.models[0].realtime!.connection_timeout_seconds = 1),
    });
    url = server.models[0].url;
    engine = server.models[0].engineUrls[0];
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  afterEach(() => resetEngine(engine));

  it('stream without gaps: every token, then [DONE]', async () => {
    expectComplete(await chat(url, { stream: true, max_tokens: 8 }), 8);
  });

  it('stream, 2 tokens then silence: an in-band 504 after 1000 ms, then [DONE]', async () => {
    await setFaults(engine, { stallAfterTokens: 2 });
    expectEndedInBand(await chat(url, { stream: true, max_tokens: 6 }), /sent nothing for 1000 ms/);
  }, 30_000);
});

describe('connect_ms (3000): an engine listener that accepts late, on a real socket (its backlog full, the kernel drops SYNs until it accepts)', () => {
  let sim: SimulatorProcess;
  let simUrl: string;
  let listener: HeldListener | undefined;
  let server: ServiceOrchestrator | undefined;

  beforeAll(async () => {
    sim = new SimulatorProcess({ model: 'yi-34b', configDir: join(REPO, 'config'), args: ['--profile', 'instant'] });
    simUrl = await sim.start();
  }, 30_000);

  afterAll(async () => {
    await sim?.stop();
  });

  afterEach(async () => {
    await server?.stop();
    await listener?.close();
    server = undefined;
    listener = undefined;
  });

  /** A server whose Yi engine is the held listener (first in line), then `more` replicas. */
  async function serve(more: string[] = []): Promise<string> {
    listener = await HeldListener.start(simUrl);
    server = await startCitadel({
      only: ['yi-34b'],
      env: { YI_34B_ENGINE_MODE: 'external', YI_34B_ENGINE_URLS: [listener.url, ...more].join(','), YI_34B_CONNECT_TIMEOUT_MS: '3000' },
    });
    return server.models[0].url;
  }

  for (const stream of [false, true]) {
    const kind = stream ? 'stream' : 'non-streaming';

    it(`${kind}, connected at ~1 s (accepting again after 300 ms; the kernel's SYN retransmission connects): 200`, async () => {
      const url = await serve();
      await listener!.hold();
      const answer = chat(url, { stream, max_tokens: 2 });
      setTimeout(() => listener!.release(), 300);
      const done = await answer;
      if (stream) expectComplete(done, 2);
      else expect(done.status).toBe(200);
    }, 30_000);

    it(`${kind}, not accepted within connect_ms: 502 engine_unreachable (no stream started)`, async () => {
      const url = await serve();
      await listener!.hold();
      expectJsonError(await chat(url, { stream, max_tokens: 2 }), 502, 'engine_unreachable');
    }, 30_000);
  }

  it('non-streaming, the first replica not accepting within connect_ms: retried on the next replica, 200', async () => {
    const url = await serve([simUrl]);
    await listener!.hold();
    expect((await chat(url, { stream: false, max_tokens: 2 })).status).toBe(200);
    expect(server!.models[0].service.engine.upstreams().find((u) => u.url === listener!.url)?.up).toBe(false);
  }, 30_000);
});

/**
 * Writes `pieces` on a raw connection, each after its delay (from the previous one), and resolves
 * everything that came back once the server closed the connection.
 */
function trickle(url: string, pieces: { afterMs: number; data: string }[]): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    const timers: NodeJS.Timeout[] = [];
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of the answer within 20 s: ${received.slice(0, 200)}`));
    }, 20_000);
    socket.on('connect', () => {
      let at = 0;
      for (const piece of pieces) {
        at += piece.afterMs;
        timers.push(setTimeout(() => socket.writable && socket.write(piece.data), at));
      }
    });
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(guard);
      timers.forEach(clearTimeout);
      resolve(received);
    });
  });
}

/** A chat request's head and body, with `Connection: close` so the answer ends with the connection. */
function rawChat(stream: boolean, maxTokens: number): { head: string[]; body: string } {
  const body = JSON.stringify({ messages: [{ role: 'user', content: 'x' }], stream, max_tokens: maxTokens });
  const head = ['POST /v1/chat/completions HTTP/1.1\r\n', 'Host: localhost\r\n', 'Content-Type: application/json\r\n', `Content-Length: ${Buffer.byteLength(body)}\r\n`, 'Connection: close\r\n', '\r\n'];
  return { head, body };
}

function expectAnswered(raw: string, stream: boolean): void {
  expect(raw).toMatch(/^HTTP\/1\.1 200 /);
  // A stream: [DONE], then the last chunk of the chunked body.
  if (stream) expect(raw).toMatch(/data: \[DONE\]\n\n\r\n0\r\n\r\n$/);
  else expect(raw).toMatch(/"choices":\[/);
  expect(raw).not.toMatch(/"error"/);
}

describe('slow clients: CITADEL_HEADERS_TIMEOUT_MS (1500) and CITADEL_REQUEST_TIMEOUT_MS (3000) bound the request, never the answer', () => {
  let server: ServiceOrchestrator;
  let url: string;

  beforeAll(async () => {
    server = await startCitadel({ only: ['yi-34b'], simulatorArgs: YI_SLOW, env: { CITADEL_HEADERS_TIMEOUT_MS: '1500', CITADEL_REQUEST_TIMEOUT_MS: '3000' } });
    url = server.models[0].url;
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  for (const stream of [false, true]) {
    const kind = stream ? 'stream' : 'non-streaming';

    it(`${kind}, headers sent line by line over ~400 ms (within the headers timeout): answered`, async () => {
      const { head, body } = rawChat(stream, 1);
      const pieces = head.map((data, i) => ({ afterMs: i === 0 ? 0 : 80, data }));
      expectAnswered(await trickle(url, [...pieces, { afterMs: 0, data: body }]), stream);
    }, 30_000);

    it(`${kind}, body sent in pieces until ~800 ms (within the request timeout), answer lasting past the request timeout (~4.6 s): answered in full`, async () => {
      const { head, body } = rawChat(stream, 4);
      const cut = Math.floor(body.length / 4);
      const parts = [body.slice(0, cut), body.slice(cut, 2 * cut), body.slice(2 * cut, 3 * cut), body.slice(3 * cut)];
      expectAnswered(await trickle(url, [{ afterMs: 0, data: head.join('') }, ...parts.map((data) => ({ afterMs: 200, data }))]), stream);
    }, 30_000);
  }

  it('headers that would be complete only at ~4.5 s: 408 at the headers timeout', async () => {
    const { head, body } = rawChat(false, 1);
    const answer = await trickle(url, [{ afterMs: 0, data: head.slice(0, 3).join('') }, { afterMs: 4_500, data: head.slice(3).join('') + body }]);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toMatch(/"code":"request_timeout"/);
  }, 30_000);

  it('a body that would be complete only at ~6 s: 408 at the request timeout', async () => {
    const { head, body } = rawChat(true, 1);
    const answer = await trickle(url, [{ afterMs: 0, data: head.join('') + body.slice(0, 10) }, { afterMs: 6_000, data: body.slice(10) }]);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toMatch(/"code":"request_timeout"/);
  }, 30_000);
});
