/**
 * Public types of the vLLM simulator: a stand-in for vLLM's OpenAI-compatible server (vLLM >= 0.11)
 * that needs no GPU. Other parts of the project depend on these names; keep them stable.
 */
import type { FamilyName } from './tokenizers/families';

/** Latency and capacity model of one simulated engine. All times are in milliseconds. */
export interface SimulatorProfile {
  /** Fixed prefill overhead before the first token. */
  ttftBaseMs: number;
  /** Prefill time added per prompt token. */
  prefillMsPerToken: number;
  /** Inter-token latency with one running sequence. */
  itlBaseMs: number;
  /** Inter-token latency added per additional running sequence. */
  itlMsPerRunningSeq: number;
  /**
   * Bound of the waiting queue; a request arriving when it is full gets a 503.
   * This bound is the simulator's own: vLLM's waiting queue is unbounded.
   */
  maxWaiting: number;
}

export interface SimulatorModel {
  /**
   * Whose tokenizer and chat template to use (tokenizers/families.ts). Optional: by default the served
   * name decides (Mixtral, OpenChat, Phi-3, Yi), and any other name gets the simulator's default.
   */
  tokenizer?: FamilyName;
  /** Our model id, e.g. 'mixtral-8x7b'. */
  id: string;
  /** The name /v1/models lists and `model` must match, e.g. 'mistralai/Mixtral-8x7B-Instruct-v0.1'. */
  servedName: string;
  maxModelLen: number;
  maxNumSeqs: number;
  profile: SimulatorProfile;
  /**
   * vLLM's `--enable-auto-tool-choice` for this model: tool_choice "auto" (and `tools` without a
   * tool_choice) is served, with `toolCallParser`; without it vLLM answers such requests 400.
   */
  enableAutoToolChoice?: boolean;
  /** vLLM's `--tool-call-parser`; the simulator imitates 'mistral' (tools/tool-output.ts). */
  toolCallParser?: string | null;
  /**
   * vLLM's `--lora-modules` (with `--enable-lora`): adapters served on this model, each answering
   * as a model of its own name (vllm/entrypoints/openai/serving_models.py).
   */
  loraModules?: readonly LoraModule[];
  /**
   * vLLM's `--chat-template`: the template text that replaces the model's own (a template with a
   * `tool` role lets tool results follow tool calls; Mixtral's own refuses them).
   */
  chatTemplate?: string;
  /** The vLLM version this model's engine runs; `citadel-llm sim` answers as it unless --vllm-version says otherwise. */
  vllmVersion?: string;
  /** vLLM's `--max-logprobs` (default 20): more logprobs per token is a 400. */
  maxLogprobs?: number;
  /**
   * Nominal KV-cache capacity in tokens, the denominator of `vllm:kv_cache_usage_perc`.
   * Optional; defaults to maxNumSeqs × maxModelLen.
   */
  kvCacheTokens?: number;
}

/** One LoRA adapter: the name requests use and the path vLLM loads it from. */
export interface LoraModule {
  name: string;
  path: string;
}

export interface FaultSettings {
  /** 0..1, the fraction of generation requests answered with `errorStatus`. */
  errorRate: number;
  errorStatus: 429 | 500 | 503;
  /** /health answers 503 (and generation requests 503) for this long after start, or after it is set. */
  slowStartSeconds: number;
  /**
   * Accept generation requests and never finish them, as a stuck vLLM does: a stream gets 200 and
   * its SSE headers at once, then nothing; a non-streaming request gets nothing.
   */
  hang: boolean;
  /** Accept generation requests and send nothing, not even the status line (a stuck proxy in front of vLLM). */
  hangBeforeHeaders: boolean;
  /**
   * > 0: destroy the socket after K streamed token chunks (no [DONE]). Non-streaming: destroy it instead
   * of answering, once K tokens (or all of them, if fewer) were generated.
   */
  dieAfterTokens: number;
  /**
   * > 0: the engine fails after K token chunks. A stream ends as vLLM ends it (an error event with
   * EngineDeadError's message, then [DONE]); a non-streaming request gets vLLM's 500.
   */
  failAfterTokens: number;
  /**
   * > 0: after K token chunks the request stalls: nothing more is sent, the connection stays open
   * and the request keeps its place in the running set (a vLLM engine stuck mid-generation).
   * Non-streaming, the answer never comes. The client leaving aborts it.
   */
  stallAfterTokens: number;
  /** 503 everywhere (except /metrics and /admin/faults), /health 503. */
  engineDead: boolean;
}

export interface SimulatorOptions {
  /** Usually one. Each model gets its own scheduler and its own `model_name` metric label. */
  models: SimulatorModel[];
  /** Divides all delays (2 = twice as fast). Default 1. */
  speed?: number;
  /** Zero delays (the 'instant' profile for benchmarks); tokens are still separate chunks. */
  instant?: boolean;
  /** 'random' draws words from a fixed vocabulary; 'echo' repeats the prompt. Default 'random'. */
  outputMode?: 'random' | 'echo';
  /** Mixed into the output seed when a request has no `seed` of its own. Default 0. */
  seed?: number;
  faults?: Partial<FaultSettings>;
  /**
   * The vLLM version the simulator answers as: reported by /version, and deciding which request
   * fields exist (vllm-version.ts). Default '0.11.0'.
   */
  vllmVersion?: string;
  /**
   * Keep Responses API responses (store, previous_response_id, GET/cancel, background), as vLLM does
   * with VLLM_ENABLE_RESPONSES_API_STORE=1. Default false, vLLM's default.
   */
  enableResponsesStore?: boolean;
}

export interface SimulatorStats {
  running: number;
  waiting: number;
  completed: number;
  aborted: number;
}

export interface RunningSimulator {
  url: string;
  port: number;
  /** Closes the listener and all sockets, aborts every request, clears all timers. */
  close(): Promise<void>;
  setFaults(f: Partial<FaultSettings>): void;
  /** Summed over all models. */
  stats(): SimulatorStats;
}
