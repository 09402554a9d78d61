import { Injectable, Optional } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiError } from '../api/api-error';
import { engineFailureToApiError } from '../api/engine-failure-to-api-error';
import { Endpoint } from '../monitoring/model-metrics';
import { InFlightRequests, ShuttingDown } from './in-flight-requests';
import { ModelDirectory } from './model-directory';
import { ModelService } from '../services/ai-models/model-service';
import { EngineFailure } from '../services/core/vllm-engine/engine-failure';
import { readBody } from '../services/core/vllm-engine/read-body';
import { EngineReply } from '../services/core/vllm-engine/vllm-engine';
import { ResponseStreamer } from '../services/streaming/response-streamer';
import { StreamOutcome } from '../services/streaming/stream-outcome';

/** Events merged into one write when a model sets no `response_chunk_size`. */
const DEFAULT_MERGED_EVENTS = 16;

const PROMPT_TOKENS = /"prompt_tokens":\s*(\d+)/;
const COMPLETION_TOKENS = /"completion_tokens":\s*(\d+)/;

/**
 * The hot path from a validated request to the engine and back: context check, admission,
 * the upstream call with an abort tied to the client's connection, then either the SSE relay
 * or the engine's JSON answer as it came (status and body; vLLM's errors included).
 */
@Injectable()
export class CompletionForwarder {
  constructor(
    private readonly streamer: ResponseStreamer,
    private readonly inFlight: InFlightRequests,
    @Optional() private readonly directory?: ModelDirectory,
  ) {}

  async forward(endpoint: Endpoint, path: string, model: ModelService, body: Record<string, any>, raw: Buffer | undefined, reply: FastifyReply): Promise<void> {
    const context = model.config.model.max_model_len;
    for (const param of ['max_tokens', 'max_completion_tokens'] as const) {
      if (typeof body[param] === 'number' && body[param] > context) {
        throw ApiError.invalid(`${param} is ${body[param]}, but this model's maximum context length is ${context} tokens.`, param, 'context_length_exceeded');
      }
    }
    const stream = body.stream === true;
    const release = await model.admission.admit({ stream }, reply.raw).catch((error: unknown) => {
      // A 429 is an answer too: requests_total counts it.
      model.metrics.refused(endpoint, error instanceof ApiError ? error.status : 500);
      throw error;
    });
    const started = performance.now();
    model.metrics.started();
    let status = 500;
    const abort = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) abort.abort();
    };
    reply.raw.once('close', onClose);
    this.inFlight.add(abort);
    try {
      const { upstream, answeredBy } = await this.callWithFallbacks(model, path, body, raw, abort.signal, stream);
      // Which model answered: this one, or one of its fallbacks.
      reply.raw.setHeader('x-citadel-model', answeredBy.id);
      if (stream && upstream.status === 200 && upstream.contentType.startsWith('text/event-stream')) {
        status = 200;
        await this.relay(model, upstream, reply, abort, started);
      } else {
        // Not a stream (or vLLM refused the stream with a JSON error): relay status and body.
        const answer = await readBody(upstream.body);
        status = upstream.status;
        if (status === 200) this.countUsage(model, answer);
        await reply.status(status).header('content-type', upstream.contentType || 'application/json').send(answer);
      }
    } catch (error) {
      if (abort.signal.reason instanceof ShuttingDown) {
        status = 503;
        throw new ApiError(503, 'The server is shutting down; retry the request.', 'service_unavailable', 'shutting_down', null, { 'retry-after': '1' });
      }
      status = abort.signal.aborted ? 499 : error instanceof ApiError ? error.status : 500;
      throw error;
    } finally {
      this.inFlight.delete(abort);
      reply.raw.off('close', onClose);
      release();
      model.metrics.finished(endpoint, status, (performance.now() - started) / 1000);
    }
  }

  /**
   * The model's engine; when none of its replicas is available, its fallbacks in order (those
   * served by this process and up). Only a request that reached no engine moves: a failure after
   * it reached one stays that engine's answer.
   */
  private async callWithFallbacks(
    model: ModelService,
    path: string,
    body: Record<string, any>,
    raw: Buffer | undefined,
    signal: AbortSignal,
    stream: boolean,
  ): Promise<{ upstream: EngineReply; answeredBy: ModelService }> {
    try {
      // The body goes upstream as the client sent it, unless `model` must become the served name.
      const payload = raw && body.model === model.servedName ? raw : JSON.stringify({ ...body, model: model.servedName });
      return { upstream: await this.call(model, path, payload, signal, stream), answeredBy: model };
    } catch (error) {
      // Only where the request reached no engine: every replica known down, or refusing connections.
      if (!(error instanceof ApiError && (error.code === 'engine_unavailable' || error.code === 'engine_unreachable'))) throw error;
      for (const id of model.config.service.fallbacks) {
        const fallback = this.directory?.get(id);
        if (!fallback?.engine.upstreams().some((u) => u.up && u.circuit !== 'open')) continue;
        try {
          const upstream = await this.call(fallback, path, JSON.stringify({ ...body, model: fallback.servedName }), signal, stream);
          return { upstream, answeredBy: fallback };
        } catch {
          // The next fallback, if any.
        }
      }
      throw error;
    }
  }

  private async call(model: ModelService, path: string, payload: Buffer | string, signal: AbortSignal, stream: boolean): Promise<EngineReply> {
    try {
      return await model.engine.call({ method: 'POST', path, body: payload, signal, stream });
    } catch (error) {
      if (!(error instanceof EngineFailure)) throw error;
      // A client that left, or a resource this process lacks, is not the engine's fault.
      if (error.kind !== 'aborted' && error.kind !== 'local') model.metrics.upstreamError(error.kind);
      throw engineFailureToApiError(error, model.id);
    }
  }

  private async relay(model: ModelService, upstream: EngineReply, reply: FastifyReply, abort: AbortController, started: number): Promise<void> {
    const realtime = model.config.realtime;
    const metrics = model.metrics;
    // When the previous chunk was written (-1: none yet): the gaps are the inter-token latency.
    let lastChunkAt = -1;
    let outcome: StreamOutcome = 'upstream_failed';
    reply.hijack();
    metrics.streamStarted();
    try {
      outcome = await this.streamer.relay(upstream, reply.raw, {
        upstreamAbort: abort,
        maxMergedEvents: realtime?.response_chunk_size ?? DEFAULT_MERGED_EVENTS,
        idleTimeoutMs: realtime ? realtime.connection_timeout_seconds * 1000 : model.config.engine.timeouts.idle_ms,
        noDelay: realtime?.low_latency_mode ?? true,
        observer: {
          firstEvent: () => metrics.firstToken((performance.now() - started) / 1000),
          event: (bytes, events) => {
            const now = performance.now();
            metrics.chunk(bytes, events, lastChunkAt < 0 ? -1 : (now - lastChunkAt) / 1000);
            lastChunkAt = now;
          },
          usage: (u) => metrics.usage(u.prompt_tokens, u.completion_tokens),
        },
      });
    } finally {
      metrics.streamEnded(outcome);
    }
    if (outcome === 'upstream_failed' || outcome === 'idle_timeout') model.metrics.upstreamError(outcome === 'idle_timeout' ? 'stream_idle' : 'stream_broken');
  }

  /** Token counts from the answer's `usage`, without parsing the whole body. */
  private countUsage(model: ModelService, answer: Buffer): void {
    const at = answer.lastIndexOf('"usage"');
    if (at === -1) return;
    const usage = answer.subarray(at, at + 256).toString('latin1');
    const prompt = PROMPT_TOKENS.exec(usage);
    const completion = COMPLETION_TOKENS.exec(usage);
    if (prompt && completion) model.metrics.usage(Number(prompt[1]), Number(completion[1]));
  }
}
