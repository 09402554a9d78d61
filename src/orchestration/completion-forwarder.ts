import { Injectable, Optional } from '@nestjs/common';
import { ApiError } from '../common/api-error';
import { RequestRecord } from '../common/request-record';
import { ShuttingDown } from '../common/shutting-down';
import { Endpoint } from '../monitoring/model-metrics';
import { ModelService } from '../services/ai-models/model-service';
import { EngineFailure } from '../services/core/vllm-engine/engine-failure';
import { engineFailureToApiError } from '../services/core/vllm-engine/engine-failure-to-api-error';
import { readBody } from '../services/core/vllm-engine/read-body';
import { EngineReply } from '../services/core/vllm-engine/vllm-engine';
import { isResponsesFinalEvent } from '../services/streaming/sse-event-splitter';
import { ResponseStreamer } from '../services/streaming/response-streamer';
import { ResponsesFailure } from '../services/streaming/responses-failure';
import { StreamOutcome } from '../services/streaming/stream-outcome';
import { Answer } from './answer';
import { InFlightRequests } from './in-flight-requests';
import { ModelDirectory } from './model-directory';

/** Where a request goes on the engine. */
interface Target {
  method: 'GET' | 'POST';
  path: string;
  /** The replica that holds what the request names (a stored response), when known. */
  replica?: string;
}

/**
 * The stored response a Responses request names: `previous_response_id` of a create, or the id
 * in the path of a retrieve or cancel (`/v1/responses/{id}[/cancel]`, encoded by enginePath).
 */
/** The first `"id"` string in a Responses answer's text, unescaped. */
function responseIdIn(text: string): string | undefined {
  const raw = RESPONSE_ID.exec(text)?.[1];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return undefined;
  }
}

function storedResponseId(method: 'GET' | 'POST', path: string, body: Record<string, any>): string | undefined {
  if (method === 'POST' && path === '/v1/responses') return typeof body.previous_response_id === 'string' ? body.previous_response_id : undefined;
  const segment = path.split('/')[3];
  if (!segment) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Body fields that ask for more tokens than a model's context may hold. */
const CONTEXT_PARAMS = ['max_tokens', 'max_completion_tokens'] as const;

/** Events merged into one write when a model sets no `response_chunk_size`. */
const DEFAULT_MERGED_EVENTS = 16;

/** Endpoints whose streams take `stream_options.include_usage`. */
const USAGE_OPTION_ENDPOINTS: ReadonlySet<Endpoint> = new Set(['chat_completions', 'completions']);

/** Chat and completions count prompt/completion tokens; Responses input/output tokens. */
const PROMPT_TOKENS = /"(?:prompt|input)_tokens":\s*(\d+)/;
/** A Responses answer's id: the first "id" of the response object (or of response.created's `response`). */
const RESPONSE_ID = /"id"\s*:\s*"((?:[^"\\]|\\.){1,256})"/;
/** Bytes of a Responses answer searched for its id (it comes first). */
const RESPONSE_ID_WINDOW = 4096;
const COMPLETION_TOKENS = /"(?:completion|output)_tokens":\s*(\d+)/;

/**
 * The hot path from a validated request to the engine and back: context check, admission,
 * the upstream call (aborted when the request's signal aborts), then an answer: the engine's
 * JSON as it came (status and body; vLLM's errors included) or its relayed SSE events. It
 * never touches the HTTP response: the edge writes the answer.
 */
@Injectable()
export class CompletionForwarder {
  constructor(
    private readonly streamer: ResponseStreamer,
    private readonly inFlight: InFlightRequests,
    @Optional() private readonly directory?: ModelDirectory,
  ) {}

  /**
   * @param signal the request's, from the HTTP edge: it aborts when the client leaves, and the
   *   wait for admission, the engine call and the relay all stop with it
   * @param record the request's record (its id goes to the engine as `X-Request-Id` and back to
   *   the client; the answering model and the token counts are noted in it for the access log)
   */
  async forward(
    endpoint: Endpoint,
    path: string,
    model: ModelService,
    body: Record<string, any>,
    raw: Buffer | undefined,
    signal: AbortSignal,
    record: RequestRecord = new RequestRecord(''),
    method: 'GET' | 'POST' = 'POST',
  ): Promise<Answer> {
    // A LoRA adapter of this model (a name from its config): it reaches the engine as named.
    const adapter = model.adapterNamed(body.model);
    const context = model.config.model.max_model_len;
    for (const param of CONTEXT_PARAMS) {
      if (typeof body[param] === 'number' && body[param] > context) {
        // Answered for this model, like the engine's own context errors: requests_total counts it.
        model.metrics.refused(endpoint, 400, adapter);
        throw ApiError.invalid(`${param} is ${body[param]}, but this model's maximum context length is ${context} tokens.`, param, 'context_length_exceeded');
      }
    }
    const stream = body.stream === true;
    // A stored response is asked of the replica that made it (create with previous_response_id,
    // retrieve, cancel); a new one is remembered with the replica that made it.
    const storedId = endpoint === 'responses' ? storedResponseId(method, path, body) : undefined;
    const holder = storedId === undefined ? undefined : model.storedResponses.holder(storedId);
    const creates = endpoint === 'responses' && method === 'POST' && path === '/v1/responses';
    // Every stream's tokens are counted: the engine is asked for usage even when the client
    // did not ask, and the usage chunk is then kept from the client.
    // Only chat and completions streams carry OpenAI's `stream_options` (Responses streams end
    // with their usage in `response.completed`).
    const addUsage = stream && USAGE_OPTION_ENDPOINTS.has(endpoint) && body.stream_options?.include_usage !== true;
    const release = await model.admission.admit({ stream }, signal).catch((error: unknown) => {
      // A 429 is an answer too: requests_total counts it.
      model.metrics.refused(endpoint, error instanceof ApiError ? error.status : 500, adapter);
      throw error;
    });
    const started = performance.now();
    model.metrics.started();
    let status = 500;
    // The upstream call's own controller: the client leaving aborts it, and so do an idle stream
    // and the server's shutdown (with ShuttingDown as the reason).
    const abort = new AbortController();
    const onClientGone = () => abort.abort(signal.reason);
    if (signal.aborted) onClientGone();
    else signal.addEventListener('abort', onClientGone, { once: true });
    const inFlight = this.inFlight.add(abort);
    // A stream's final status is known only when it ends: 499 (nginx's "client closed request",
    // as the access log writes it) when the client left, else the 200 its headers said.
    const settle = (final: number = status) => {
      this.inFlight.delete(inFlight);
      signal.removeEventListener('abort', onClientGone);
      release();
      model.metrics.finished(endpoint, final, (performance.now() - started) / 1000, adapter);
    };
    let settledByStream = false;
    try {
      const upstreamBody = addUsage ? { ...body, stream_options: { ...(body.stream_options ?? {}), include_usage: true } } : body;
      const { upstream, answeredBy } = await this.callWithFallbacks(model, adapter, { method, path, replica: holder }, upstreamBody, addUsage ? undefined : raw, abort.signal, stream, record.id);
      record.model = answeredBy.id;
      // Which model answered: this one, or one of its fallbacks; the request id is ours.
      const headers: Record<string, string> = { ...upstream.headers, 'x-citadel-model': answeredBy.id };
      if (record.id) headers['x-request-id'] = record.id;
      if (stream && upstream.status === 200 && upstream.contentType.startsWith('text/event-stream')) {
        status = 200;
        settledByStream = true;
        const remember = creates ? (id: string) => answeredBy.storedResponses.remember(id, upstream.upstream) : undefined;
        return { kind: 'stream', headers, noDelay: model.config.realtime?.low_latency_mode ?? true, events: this.relay(model, adapter, upstream, signal, abort, started, addUsage, endpoint, record, settle, remember) };
      }
      // Not a stream (or vLLM refused the stream with a JSON error): relay status and body.
      const answer = await readBody(upstream.body);
      status = upstream.status;
      if (status === 200) this.countUsage(model, answer, record, adapter);
      if (status === 200 && creates) {
        const id = responseIdIn(answer.subarray(0, RESPONSE_ID_WINDOW).toString('utf8'));
        if (id) answeredBy.storedResponses.remember(id, upstream.upstream);
      }
      headers['content-type'] = upstream.contentType || 'application/json';
      return { kind: 'json', status, headers, body: answer };
    } catch (error) {
      if (abort.signal.reason instanceof ShuttingDown) {
        status = 503;
        throw new ApiError(503, 'The server is shutting down; retry the request.', 'service_unavailable', 'shutting_down', null, { 'retry-after': '1' });
      }
      status = abort.signal.aborted ? 499 : error instanceof ApiError ? error.status : 500;
      throw error;
    } finally {
      if (!settledByStream) settle();
    }
  }

  /**
   * The model's engine; when none of its replicas is available, its fallbacks in order (those
   * served by this process and up). Only a request that reached no engine moves: a failure after
   * it reached one stays that engine's answer. A request for a LoRA adapter never moves: another
   * model does not serve the adapter, and its base model is not what the client asked for.
   */
  private async callWithFallbacks(
    model: ModelService,
    adapter: string | undefined,
    target: Target,
    body: Record<string, any>,
    raw: Buffer | undefined,
    signal: AbortSignal,
    stream: boolean,
    requestId: string,
  ): Promise<{ upstream: EngineReply; answeredBy: ModelService }> {
    // A GET (a stored response) has no body.
    const payloadFor = (m: ModelService) => (target.method === 'GET' ? undefined : JSON.stringify({ ...body, model: m.servedName }));
    try {
      // The body goes upstream as the client sent it, unless `model` must become the served name:
      // only when the client named the base model another way (id, alias, nothing). An adapter's
      // name is never rewritten.
      const asSent = body.model === model.servedName || adapter !== undefined;
      const payload = target.method === 'GET' ? undefined : !asSent ? payloadFor(model) : (raw ?? JSON.stringify(body));
      return { upstream: await this.call(model, target, payload, signal, stream, requestId), answeredBy: model };
    } catch (error) {
      // Only where the request reached no engine: every replica known down, or refusing connections.
      if (!(error instanceof ApiError && (error.code === 'engine_unavailable' || error.code === 'engine_unreachable'))) throw error;
      if (adapter !== undefined) throw error;
      for (const id of model.config.service.fallbacks) {
        const fallback = this.directory?.get(id);
        if (!fallback?.engine.upstreams().some((u) => u.up && u.circuit !== 'open')) continue;
        try {
          const upstream = await this.call(fallback, target, payloadFor(fallback), signal, stream, requestId);
          return { upstream, answeredBy: fallback };
        } catch {
          // The next fallback, if any.
        }
      }
      throw error;
    }
  }

  private async call(model: ModelService, target: Target, payload: Buffer | string | undefined, signal: AbortSignal, stream: boolean, requestId: string): Promise<EngineReply> {
    try {
      return await model.engine.call({ method: target.method, path: target.path, body: payload, signal, stream, requestId: requestId || undefined, replica: target.replica });
    } catch (error) {
      if (!(error instanceof EngineFailure)) throw error;
      // A client that left, or a resource this process lacks, is not the engine's fault.
      if (error.kind !== 'aborted' && error.kind !== 'local') model.metrics.upstreamError(error.kind);
      throw engineFailureToApiError(error, model.id);
    }
  }

  private async *relay(
    model: ModelService,
    adapter: string | undefined,
    upstream: EngineReply,
    signal: AbortSignal,
    abort: AbortController,
    started: number,
    dropUsageChunk: boolean,
    endpoint: Endpoint,
    record: RequestRecord,
    settle: (final?: number) => void,
    /** Takes the id of the response a Responses stream creates (from its response.created event). */
    remember?: (id: string) => void,
  ): AsyncGenerator<Buffer, void, undefined> {
    const realtime = model.config.realtime;
    const metrics = model.metrics;
    // When the previous chunk was written (-1: none yet): the gaps are the inter-token latency.
    let lastChunkAt = -1;
    let outcome = 'upstream_failed' as StreamOutcome;
    metrics.streamStarted();
    // A Responses stream: its response.created event gives the id to remember and the response
    // object a failure event ends it with.
    const responses = endpoint === 'responses' ? new ResponsesFailure() : undefined;
    let remembered = remember === undefined;
    try {
      for await (const buffer of this.streamer.relay(upstream, {
        signal,
        upstreamAbort: abort,
        maxMergedEvents: realtime?.response_chunk_size ?? DEFAULT_MERGED_EVENTS,
        firstEventTimeoutMs: model.config.engine.timeouts.first_token_ms - (performance.now() - started),
        dropUsageChunk,
        isFinalEvent: responses ? isResponsesFinalEvent : undefined,
        failureEvent: responses ? (message) => responses.event(message) : undefined,
        idleTimeoutMs: realtime ? realtime.connection_timeout_seconds * 1000 : model.config.engine.timeouts.idle_ms,
        observer: {
          firstEvent: () => metrics.firstToken((performance.now() - started) / 1000),
          event: (bytes, events) => {
            const now = performance.now();
            metrics.chunk(bytes, events, lastChunkAt < 0 ? -1 : (now - lastChunkAt) / 1000);
            responses?.relayed(events);
            lastChunkAt = now;
          },
          usage: (u) => {
            metrics.usage(u.prompt_tokens, u.completion_tokens, adapter);
            record.promptTokens = u.prompt_tokens;
            record.completionTokens = u.completion_tokens;
          },
          end: (o) => (outcome = o),
        },
      })) {
        responses?.watch(buffer);
        if (!remembered && responses?.responseId !== undefined) {
          remember!(responses.responseId);
          remembered = true;
        }
        yield buffer;
      }
    } finally {
      metrics.streamEnded(outcome);
      if (outcome === 'upstream_failed' || outcome === 'idle_timeout') metrics.upstreamError(outcome === 'idle_timeout' ? 'stream_idle' : 'stream_broken');
      settle(outcome === 'client_aborted' ? 499 : undefined);
    }
  }

  /** Token counts from the answer's `usage`, without parsing the whole body. */
  private countUsage(model: ModelService, answer: Buffer, record: RequestRecord, adapter: string | undefined): void {
    const at = answer.lastIndexOf('"usage"');
    if (at === -1) return;
    const usage = answer.subarray(at, at + 256).toString('latin1');
    const prompt = PROMPT_TOKENS.exec(usage);
    const completion = COMPLETION_TOKENS.exec(usage);
    if (!prompt || !completion) return;
    model.metrics.usage(Number(prompt[1]), Number(completion[1]), adapter);
    record.promptTokens = Number(prompt[1]);
    record.completionTokens = Number(completion[1]);
  }
}
