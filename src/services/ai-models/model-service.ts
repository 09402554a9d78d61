import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { ApiError } from '../../common/api-error';
import { ModelServiceConfig } from '../../config/model-config';
import { ModelMetrics } from '../../monitoring/model-metrics';
import { processCpuSeconds, processRssBytes } from '../../monitoring/process-stats';
import { EngineFailure } from '../core/vllm-engine/engine-failure';
import { engineFailureToApiError } from '../core/vllm-engine/engine-failure-to-api-error';
import { engineAnswerToApiError } from '../core/vllm-engine/engine-error-body';
import { readBody } from '../core/vllm-engine/read-body';
import { ReplicaAffinity } from '../core/vllm-engine/replica-affinity';
import { VllmEngine } from '../core/vllm-engine/vllm-engine';
import { sseChunks } from '../streaming/sse-chunks';
import { Admission } from './admission';
import { PathRequest, RequestPath } from './request-path';
import { ChatCompletionChunk, ChatMessage, ChatStreamRequest, CompletionChunk, CompletionStreamRequest } from './request-types';

export type { ChatMessage } from './request-types';

/** The engine's process, when it is ours (simulated or managed mode); it may be restarted. */
export class EngineProcessInfo {
  constructor(
    private readonly currentPid: () => number | undefined = () => undefined,
    /** Times the engine process was restarted. */
    readonly restarts: () => number = () => 0,
    /** Seconds from spawn to ready at its last (re)start. */
    readonly loadSeconds: () => number | undefined = () => undefined,
  ) {}

  get pid(): number | undefined {
    return this.currentPid();
  }
}

export type GenerationOptions = Record<string, unknown>;

/**
 * One model behind its engine. The four model services are this class with different config:
 * the seeds' service API (generateCompletion, chat, streamCompletion, streamChat, getModelInfo,
 * getMemoryUsage, getCpuUsage) for code and tests, and what the HTTP layer needs (names, engine,
 * admission, metrics).
 */
@Injectable()
export class ModelService implements OnApplicationShutdown {
  private lastCpu?: { at: number; seconds: number };
  /** When this service started (Unix seconds): the `created` of its /v1/models entry. */
  readonly createdAt = Math.floor(Date.now() / 1000);
  /** Which of its engine's replicas holds each stored response (the model port and the gateway share it). */
  readonly storedResponses = new ReplicaAffinity();

  constructor(
    readonly config: ModelServiceConfig,
    readonly engine: VllmEngine,
    readonly admission: Admission,
    readonly metrics: ModelMetrics,
    @Optional() @Inject(EngineProcessInfo) readonly engineProcess?: EngineProcessInfo,
    /** The HTTP requests' path, which the streaming methods take (the server's model app gives it). */
    @Optional() @Inject(RequestPath) private readonly requestPath?: RequestPath,
  ) {
    metrics.watchEngine(() => engine.upstreams());
  }

  get id(): string {
    return this.config.id;
  }

  get servedName(): string {
    return this.config.model.name;
  }

  /** Every name a client may use for this model, its LoRA adapters' included. */
  get names(): string[] {
    return [this.id, this.servedName, ...this.config.model.aliases, ...this.adapters];
  }

  /** The LoRA adapters its engine serves (model.lora_modules), by name. */
  get adapters(): string[] {
    return Object.keys(this.config.model.lora_modules);
  }

  /**
   * The configured adapter a request's `model` names, or undefined for the base model. What is
   * returned comes from the config, so it may become a metric label.
   */
  adapterNamed(name: unknown): string | undefined {
    return typeof name === 'string' && Object.prototype.hasOwnProperty.call(this.config.model.lora_modules, name) ? this.adapters.find((a) => a === name) : undefined;
  }

  /**
   * Seed API: a non-streaming completion, resolved as vLLM's JSON answer. In the model's app it
   * takes the HTTP requests' path (admitted, counted); in a model module imported alone it
   * calls the engine directly.
   */
  generateCompletion(prompt: string | string[], options: GenerationOptions = {}): Promise<any> {
    return this.callJson({ endpoint: 'completions', path: '/v1/completions', body: { ...options, prompt } });
  }

  /** Seed API: a non-streaming chat completion; as generateCompletion. */
  chat(messages: ChatMessage[], options: GenerationOptions = {}): Promise<any> {
    return this.callJson({ endpoint: 'chat_completions', path: '/v1/chat/completions', body: { ...options, messages } });
  }

  /**
   * Seed API (task 1.4's `ResponseStreamer().stream_response(prompt, config)`): a streamed
   * completion, chunk by chunk as vLLM sends them, parsed. It takes the HTTP requests' path:
   * admitted (a 429 rejects as an ApiError), counted in the metrics, and aborted at the engine
   * when the loop is left early or `signal` aborts. An engine's refusal or a failed stream
   * rejects with an ApiError.
   */
  streamCompletion(request: CompletionStreamRequest, signal?: AbortSignal): AsyncGenerator<CompletionChunk, void, undefined> {
    return this.stream<CompletionChunk>({ endpoint: 'completions', path: '/v1/completions', body: request }, signal);
  }

  /** Seed API: a streamed chat completion; as streamCompletion. */
  streamChat(request: ChatStreamRequest, signal?: AbortSignal): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    return this.stream<ChatCompletionChunk>({ endpoint: 'chat_completions', path: '/v1/chat/completions', body: request }, signal);
  }

  getModelInfo() {
    const c = this.config;
    return {
      id: c.id,
      served_model_name: c.model.name,
      aliases: c.model.aliases,
      model_path: c.model.path,
      port: c.service.port,
      metrics_port: c.monitoring.prometheus_port,
      max_model_len: c.model.max_model_len,
      tensor_parallel_size: c.model.tensor_parallel_size,
      gpu_memory_utilization: c.model.gpu_memory_utilization,
      max_num_batched_tokens: c.model.max_num_batched_tokens,
      max_num_seqs: c.model.max_num_seqs,
      target_latency_ms: c.performance.target_latency_ms,
      target_throughput_rps: c.performance.target_throughput_rps,
      memory_limit_gb: c.performance.memory_limit_gb,
      cpu_cores: c.performance.cpu_cores,
      engine: { mode: c.engine.mode, upstreams: this.engine.upstreams() },
      streaming: c.realtime?.streaming_enabled ?? true,
      efficiency_mode: c.efficiency?.efficiency_mode ?? false,
    };
  }

  /** Resident memory of the engine process (ours when simulated or managed; else this process). */
  getMemoryUsage() {
    const pid = this.engineProcess?.pid ?? process.pid;
    const rss = processRssBytes(pid) ?? 0;
    const limit = this.config.performance.memory_limit_gb * 1024 ** 3;
    return { pid, source: pid === process.pid ? 'server' : 'engine', rss_bytes: rss, limit_bytes: limit, utilization: rss / limit };
  }

  /** CPU use of the engine process since the previous call, as a share of the allocated cores. */
  getCpuUsage() {
    const pid = this.engineProcess?.pid ?? process.pid;
    const now = performance.now();
    const seconds = processCpuSeconds(pid) ?? 0;
    const previous = this.lastCpu ?? { at: now - 1, seconds };
    this.lastCpu = { at: now, seconds };
    const wall = Math.max((now - previous.at) / 1000, 1e-3);
    const cores = (seconds - previous.seconds) / wall;
    return { pid, cores_used: cores, cores_allocated: this.config.performance.cpu_cores, utilization: cores / this.config.performance.cpu_cores };
  }

  /** After the listener has closed (Nest runs destroy hooks before that): requests in flight keep their engine. */
  async onApplicationShutdown(): Promise<void> {
    // Nothing may be left waiting for admission once the listener is closed.
    this.admission.close();
    await this.engine.close();
  }

  private async *stream<T>(request: Omit<PathRequest, 'signal'>, signal?: AbortSignal): AsyncGenerator<T, void, undefined> {
    if (!this.requestPath) {
      throw new Error(`${this.id}: streaming needs the request path, which the model's app provides: import ModelAppModule.forRoot(config) (README "Using the modules in your own tests")`);
    }
    // The request's own signal: the caller's, and leaving the loop early (like a client leaving).
    const abort = new AbortController();
    const onCallerAbort = () => abort.abort(signal?.reason);
    if (signal?.aborted) onCallerAbort();
    else signal?.addEventListener('abort', onCallerAbort, { once: true });
    let complete = false;
    try {
      const events = await this.requestPath.stream(this, { ...request, signal: abort.signal });
      try {
        yield* sseChunks<T>(events);
        complete = true;
      } finally {
        // Abort first, so the engine's request is cancelled, then close the relay: that settles
        // the request's admission and metrics.
        if (!complete) abort.abort();
        await events.return();
      }
    } catch (error) {
      // The caller cancelled: say so, not how the cut stream looked.
      if (signal?.aborted) throw new ApiError(499, 'The request was cancelled.', 'request_cancelled', 'cancelled');
      throw error;
    } finally {
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  private async callJson({ endpoint, path, body }: Omit<PathRequest, 'signal'>): Promise<any> {
    // The engine's own timers (connect, first byte) bound the wait on either path.
    if (this.requestPath) return this.requestPath.json(this, { endpoint, path, body, signal: new AbortController().signal });
    const signal = AbortSignal.timeout(this.config.engine.timeouts.first_byte_ms);
    try {
      const reply = await this.engine.call({ method: 'POST', path, body: JSON.stringify({ ...body, model: this.servedName, stream: false }), signal });
      const answer = await readBody(reply.body);
      if (reply.status !== 200) throw engineAnswerToApiError(reply.status, answer);
      return JSON.parse(answer.toString('utf8'));
    } catch (error) {
      if (error instanceof EngineFailure) throw engineFailureToApiError(error, this.id);
      throw error;
    }
  }
}
