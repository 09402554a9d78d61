import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ApiError } from '../common/api-error';
import { loadCitadelConfig } from '../config/config-loader';
import { ModelServiceConfig } from '../config/model-config';
import { ModelMetrics } from '../monitoring/model-metrics';
import { ModelService } from '../services/ai-models/model-service';
import { EngineFailure } from '../services/core/vllm-engine/engine-failure';
import { EngineCall, EngineReply, UpstreamState, VllmEngine } from '../services/core/vllm-engine/vllm-engine';
import { ResponseStreamer } from '../services/streaming/response-streamer';
import { buildAdmission } from './admission-factory';
import { Answer, JsonAnswer, StreamAnswer } from './answer';
import { CompletionForwarder } from './completion-forwarder';
import { InFlightRequests } from './in-flight-requests';
import { ModelDirectory } from './model-directory';

const REPO = join(__dirname, '..', '..');
const CONFIGS = loadCitadelConfig({ cwd: REPO, configDir: join(REPO, 'config'), env: {}, only: ['mixtral-8x7b', 'phi-3-mini', 'yi-34b'] });
const config = (id: string): ModelServiceConfig => Object.assign(Object.create(Object.getPrototypeOf(CONFIGS.model(id)!)), structuredClone(CONFIGS.model(id)!));

type Handler = (call: EngineCall) => Promise<EngineReply>;

/** The engine, faked at its boundary: each call is answered by `handler`; no socket anywhere. */
class FakeEngine extends VllmEngine {
  readonly calls: EngineCall[] = [];
  constructor(
    private readonly handler: Handler,
    private readonly up = true,
  ) {
    super();
  }
  call(call: EngineCall): Promise<EngineReply> {
    this.calls.push(call);
    return this.handler(call);
  }
  upstreams(): UpstreamState[] {
    return [{ url: 'http://fake', up: this.up, circuit: 'closed', inFlight: 0, since: new Date(0).toISOString() }];
  }
  async probe() {
    return this.up;
  }
  activity() {
    return { inFlight: 0, lastProgressAt: Date.now() };
  }
  async close() {}
}

const replyOf = (status: number, contentType: string, chunks: string[]): EngineReply => ({
  status,
  contentType,
  headers: {},
  body: Readable.from(chunks.map((c) => Buffer.from(c))),
  upstream: 'http://fake',
  progress: () => undefined,
});
const json = (status: number, body: unknown) => async () => replyOf(status, 'application/json', [JSON.stringify(body)]);
const failing = (kind: ConstructorParameters<typeof EngineFailure>[0]) => async () => {
  throw new EngineFailure(kind, kind, 'http://fake');
};
/** Never answers; rejects as undici does when the call's signal aborts. */
const hanging: Handler = (call) =>
  new Promise((_, reject) => call.signal.addEventListener('abort', () => reject(new EngineFailure('aborted', 'the request was aborted', 'http://fake')), { once: true }));

function modelWith(id: string, engine: VllmEngine, edit: (c: ModelServiceConfig) => void = () => undefined): ModelService {
  const c = config(id);
  edit(c);
  return new ModelService(c, engine, buildAdmission(c), new ModelMetrics(id));
}

const OK = { id: 'cmpl-1', choices: [{ index: 0, text: 'hi', finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } };

describe('CompletionForwarder', () => {
  let inFlight: InFlightRequests;
  let directory: ModelDirectory;
  let forwarder: CompletionForwarder;
  const client = () => new AbortController();
  const forward = (model: ModelService, body: Record<string, any>, signal = client().signal, raw?: Buffer) =>
    forwarder.forward('completions', '/v1/completions', model, body, raw, signal);
  const error = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as ApiError);

  beforeEach(() => {
    inFlight = new InFlightRequests();
    directory = new ModelDirectory();
    forwarder = new CompletionForwarder(new ResponseStreamer(), inFlight, directory);
  });

  describe('the context check', () => {
    it.each(['max_tokens', 'max_completion_tokens'])('refuses %s over max_model_len with 400 context_length_exceeded, before admission and the engine', async (param) => {
      const engine = new FakeEngine(json(200, OK));
      const model = modelWith('phi-3-mini', engine);
      const e = await error(forward(model, { prompt: 'x', [param]: 2049 }));
      expect(e).toBeInstanceOf(ApiError);
      expect(e).toMatchObject({ status: 400, param, code: 'context_length_exceeded' });
      expect(engine.calls).toHaveLength(0);
    });

    it('lets max_tokens equal to the context through', async () => {
      const model = modelWith('phi-3-mini', new FakeEngine(json(200, OK)));
      expect((await forward(model, { prompt: 'x', max_tokens: 2048 })).kind).toBe('json');
    });
  });

  describe('JSON answers', () => {
    it("returns the engine's answer as it came, naming the model, and counts its usage", async () => {
      const engine = new FakeEngine(json(200, OK));
      const model = modelWith('phi-3-mini', engine);
      const usage = jest.spyOn(model.metrics, 'usage');
      const finished = jest.spyOn(model.metrics, 'finished');
      const answer = (await forward(model, { model: 'phi-3-mini', prompt: 'x' })) as JsonAnswer;
      expect(answer).toMatchObject({ kind: 'json', status: 200, headers: { 'x-citadel-model': 'phi-3-mini', 'content-type': 'application/json' } });
      expect(JSON.parse(answer.body.toString())).toEqual(OK);
      expect(usage).toHaveBeenCalledWith(5, 2, undefined);
      expect(finished).toHaveBeenCalledWith('completions', 200, expect.any(Number), undefined);
      // The body goes upstream with the served name, the engine's timeouts apply to a non-stream.
      expect(JSON.parse(String(engine.calls[0].body))).toEqual({ model: 'microsoft/Phi-3-mini-4k-instruct', prompt: 'x' });
      expect(engine.calls[0]).toMatchObject({ method: 'POST', path: '/v1/completions', stream: false });
    });

    it('sends the raw body untouched when it already names the served model', async () => {
      const engine = new FakeEngine(json(200, OK));
      const model = modelWith('phi-3-mini', engine);
      const raw = Buffer.from('{"model":"microsoft/Phi-3-mini-4k-instruct",  "prompt":"x"}');
      await forward(model, { model: 'microsoft/Phi-3-mini-4k-instruct', prompt: 'x' }, client().signal, raw);
      expect(engine.calls[0].body).toBe(raw);
    });

    it("relays vLLM's own error with its status, counting no usage", async () => {
      const refusal = { error: { message: 'bad', type: 'BadRequestError', param: null, code: 400 } };
      const model = modelWith('phi-3-mini', new FakeEngine(json(400, refusal)));
      const usage = jest.spyOn(model.metrics, 'usage');
      const answer = (await forward(model, { prompt: 'x' })) as JsonAnswer;
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body.toString())).toEqual(refusal);
      expect(usage).not.toHaveBeenCalled();
    });
  });

  describe('fallbacks', () => {
    const primary = (engine: VllmEngine) => modelWith('mixtral-8x7b', engine, (c) => (c.service.fallbacks = ['yi-34b', 'phi-3-mini']));

    it('moves a request that reached no engine to the first fallback that is up, which names itself', async () => {
      const down = new FakeEngine(json(200, OK), false);
      const phi = new FakeEngine(json(200, OK));
      directory.register(modelWith('yi-34b', down));
      directory.register(modelWith('phi-3-mini', phi));
      const answer = await forward(primary(new FakeEngine(failing('unavailable'))), { model: 'mixtral-8x7b', prompt: 'x' });
      expect(answer.headers['x-citadel-model']).toBe('phi-3-mini');
      expect(down.calls).toHaveLength(0);
      expect(JSON.parse(String(phi.calls[0].body)).model).toBe('microsoft/Phi-3-mini-4k-instruct');
    });

    it('also moves on connection refused (engine_unreachable)', async () => {
      directory.register(modelWith('yi-34b', new FakeEngine(json(200, OK))));
      expect((await forward(primary(new FakeEngine(failing('connect'))), { prompt: 'x' })).headers['x-citadel-model']).toBe('yi-34b');
    });

    it('keeps the failure of a request that reached an engine (a timeout is that engine’s answer): 504', async () => {
      const yi = new FakeEngine(json(200, OK));
      directory.register(modelWith('yi-34b', yi));
      expect(await error(forward(primary(new FakeEngine(failing('timeout'))), { prompt: 'x' }))).toMatchObject({ status: 504, code: 'engine_timeout' });
      expect(yi.calls).toHaveLength(0);
    });

    it('never moves a LoRA adapter request (no other model serves the adapter), and never rewrites its name', async () => {
      const yi = new FakeEngine(json(200, OK));
      directory.register(modelWith('yi-34b', yi));
      const withAdapter = (engine: VllmEngine) => modelWith('mixtral-8x7b', engine, (c) => {
        c.service.fallbacks = ['yi-34b'];
        c.model.lora_modules = { 'sql-lora': '/opt/loras/sql' };
      });
      expect(await error(forward(withAdapter(new FakeEngine(failing('unavailable'))), { model: 'sql-lora', prompt: 'x' }))).toMatchObject({ status: 503, code: 'engine_unavailable' });
      expect(yi.calls).toHaveLength(0);
      // Up, the adapter's name goes as sent (raw body or, with usage added to a stream, re-serialised).
      const engine = new FakeEngine(json(200, OK));
      const model = withAdapter(engine);
      const finished = jest.spyOn(model.metrics, 'finished');
      const usage = jest.spyOn(model.metrics, 'usage');
      const raw = Buffer.from('{"model":"sql-lora", "prompt":"x"}');
      await forward(model, { model: 'sql-lora', prompt: 'x' }, client().signal, raw);
      expect(engine.calls[0].body).toBe(raw);
      await forward(model, { model: 'sql-lora', prompt: 'x' });
      expect(JSON.parse(String(engine.calls[1].body)).model).toBe('sql-lora');
      // The base model by id or alias is rewritten to the served name.
      await forward(model, { model: 'mixtral', prompt: 'x' });
      expect(JSON.parse(String(engine.calls[2].body)).model).toBe('mistralai/Mixtral-8x7B-Instruct-v0.1');
      expect(finished.mock.calls.map((c) => c[3])).toEqual(['sql-lora', 'sql-lora', undefined]);
      expect(usage.mock.calls.map((c) => c[2])).toEqual(['sql-lora', 'sql-lora', undefined]);
    });

    it('answers 503 with Retry-After when no fallback is up either', async () => {
      directory.register(modelWith('yi-34b', new FakeEngine(json(200, OK), false)));
      expect(await error(forward(primary(new FakeEngine(failing('unavailable'))), { prompt: 'x' }))).toMatchObject({ status: 503, code: 'engine_unavailable', headers: { 'retry-after': '5' } });
    });
  });

  describe('cancellation', () => {
    it('aborts the engine call when the request signal aborts (the client left): 499, and the slot is given back', async () => {
      let handler: Handler = hanging;
      const engine = new FakeEngine((call) => handler(call));
      const model = modelWith('phi-3-mini', engine, (c) => (c.service.max_concurrent_requests = 1));
      const finished = jest.spyOn(model.metrics, 'finished');
      const gone = client();
      const pending = error(forward(model, { prompt: 'x' }, gone.signal));
      await new Promise((r) => setImmediate(r));
      expect(engine.calls[0].signal.aborted).toBe(false);
      gone.abort();
      expect(await pending).toMatchObject({ status: 499, code: 'cancelled' });
      expect(engine.calls[0].signal.aborted).toBe(true);
      expect(finished).toHaveBeenCalledWith('completions', 499, expect.any(Number), undefined);
      expect(inFlight.size).toBe(0);
      // max_concurrent_requests is 1: the next request is admitted.
      handler = json(200, OK);
      expect((await forward(model, { prompt: 'x' })).kind).toBe('json');
    });

    it('answers 503 shutting_down with Retry-After when the server aborts what is still running', async () => {
      const model = modelWith('phi-3-mini', new FakeEngine(hanging));
      const pending = error(forward(model, { prompt: 'x' }));
      await new Promise((r) => setImmediate(r));
      expect(inFlight.size).toBe(1);
      inFlight.abortAll();
      expect(await pending).toMatchObject({ status: 503, code: 'shutting_down', headers: { 'retry-after': '1' } });
    });

    it('counts a refusal at admission (429) as an answer, without calling the engine', async () => {
      const engine = new FakeEngine(hanging);
      const model = modelWith('phi-3-mini', engine, (c) => (c.service.max_concurrent_requests = 1));
      const refused = jest.spyOn(model.metrics, 'refused');
      const first = forward(model, { prompt: 'x' });
      expect(await error(forward(model, { prompt: 'x' }))).toMatchObject({ status: 429 });
      expect(refused).toHaveBeenCalledWith('completions', 429, undefined);
      expect(engine.calls).toHaveLength(1);
      inFlight.abortAll();
      await error(first);
    });
  });

  describe('stream answers', () => {
    const sse = ['data: {"choices":[{"text":"a"}]}\n\n', 'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}\n\ndata: [DONE]\n\n'];

    it('returns the events once the engine accepted, holding the admission slot until the stream ends', async () => {
      const engine = new FakeEngine(async () => replyOf(200, 'text/event-stream', sse));
      const model = modelWith('phi-3-mini', engine, (c) => (c.service.max_concurrent_requests = 1));
      const usage = jest.spyOn(model.metrics, 'usage');
      const ended = jest.spyOn(model.metrics, 'streamEnded');
      const answer = (await forward(model, { prompt: 'x', stream: true, stream_options: { include_usage: true } })) as StreamAnswer;
      expect(answer).toMatchObject({ kind: 'stream', headers: { 'x-citadel-model': 'phi-3-mini' }, noDelay: true });
      expect(engine.calls[0].stream).toBe(true);
      // Still streaming: the one slot is taken.
      expect(await error(forward(model, { prompt: 'x' }))).toMatchObject({ status: 429 });
      const out: string[] = [];
      for await (const bytes of answer.events) out.push(bytes.toString());
      expect(out.join('')).toBe(sse.join(''));
      expect(usage).toHaveBeenCalledWith(3, 1, undefined);
      expect(ended).toHaveBeenCalledWith('completed');
      expect(inFlight.size).toBe(0);
      expect((await forward(model, { prompt: 'x' })).kind).toBe('json');
    });

    it('asks the engine for usage on every stream, counts it, and keeps the usage chunk from a client that did not ask', async () => {
      const engine = new FakeEngine(async () => replyOf(200, 'text/event-stream', sse));
      const model = modelWith('phi-3-mini', engine);
      const usage = jest.spyOn(model.metrics, 'usage');
      const answer = (await forward(model, { prompt: 'x', stream: true, stream_options: { continuous_usage_stats: false } })) as StreamAnswer;
      expect(JSON.parse(String(engine.calls[0].body)).stream_options).toEqual({ continuous_usage_stats: false, include_usage: true });
      const out: string[] = [];
      for await (const bytes of answer.events) out.push(bytes.toString());
      expect(out.join('')).toBe('data: {"choices":[{"text":"a"}]}\n\ndata: [DONE]\n\n');
      expect(usage).toHaveBeenCalledWith(3, 1, undefined);
    });

    it("relays vLLM's JSON refusal of a stream as JSON with its status, not as a stream", async () => {
      const model = modelWith('phi-3-mini', new FakeEngine(json(400, { error: { message: 'no', type: 'BadRequestError', param: null, code: 400 } })));
      const answer: Answer = await forward(model, { prompt: 'x', stream: true });
      expect(answer).toMatchObject({ kind: 'json', status: 400 });
    });

    it('settles the request when the edge closes the events early (client gone)', async () => {
      const model = modelWith('phi-3-mini', new FakeEngine(async () => replyOf(200, 'text/event-stream', sse)), (c) => (c.service.max_concurrent_requests = 1));
      const ended = jest.spyOn(model.metrics, 'streamEnded');
      const answer = (await forward(model, { prompt: 'x', stream: true })) as StreamAnswer;
      await answer.events.next();
      await answer.events.return(undefined);
      expect(ended).toHaveBeenCalledWith('client_aborted');
      expect(inFlight.size).toBe(0);
      expect((await forward(model, { prompt: 'x' })).kind).toBe('json');
    });
  });
});
