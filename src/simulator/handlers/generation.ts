/**
 * What chat and completion requests share once they are parsed: the context-length check, fault
 * resolution, and running the planned generation through the scheduler, streaming (SSE with
 * backpressure) or not. What a token's chunk or the final body looks like is the endpoint's
 * (chat-output.ts, completion-output.ts). A client that leaves aborts its request in every phase.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimulatorError } from '../errors';
import { parseFaultHeader } from '../faults';
import { uuidHex } from '../ids';
import { sendApiError, sendJson } from '../http-util';
import { hashString, mix32 } from '../prng';
import { DONE_EVENT, GenerationKind, StreamFormatter, streamErrorEvent, UsageCounts } from '../response-format';
import type { Engine, SimContext } from '../sim-context';
import type { Job } from '../scheduler';
import type { ChoicePlan } from '../text-generator';
import type { SimulatorModel } from '../types';

/** vLLM's request id: the X-Request-Id header when given, else a random hex uuid. */
export function requestId(req: IncomingMessage, prefix: 'cmpl' | 'chatcmpl'): string {
  const header = req.headers['x-request-id'];
  const given = Array.isArray(header) ? header[0] : header;
  return `${prefix}-${given && given.length > 0 ? given : uuidHex()}`;
}

/**
 * vLLM 0.11's context-length check and max_tokens default: the prompt must leave room for at least
 * one token, prompt + max_tokens must fit max_model_len, and an absent max_tokens means
 * max_model_len − prompt tokens. `suffix` reproduces vLLM's chat path, which appends the exception's
 * cause (" None") to these messages.
 */
export function resolveMaxTokens(
  model: SimulatorModel,
  promptTokens: number,
  requested: number | null,
  suffix: string,
): number {
  const limit = model.maxModelLen;
  if (promptTokens >= limit) {
    throw new SimulatorError(
      400,
      `This model's maximum context length is ${limit} tokens. However, your request has ${promptTokens} input tokens. ` +
        `Please reduce the length of the input messages.${suffix}`,
    );
  }
  if (requested !== null && promptTokens + requested > limit) {
    throw new SimulatorError(
      400,
      `'max_tokens' or 'max_completion_tokens' is too large: ${requested}. This model's maximum context length is ` +
        `${limit} tokens and your request has ${promptTokens} input tokens (${requested} > ${limit} - ${promptTokens}).${suffix}`,
    );
  }
  return requested ?? limit - promptTokens;
}

/** The 32-bit output seed: the request's `seed` when given, else a hash of the prompt and the server seed. */
export function outputSeed(requestSeed: number | null, promptKey: string, serverSeed: number): number {
  if (requestSeed !== null) return hashString(String(requestSeed));
  return mix32(hashString(promptKey), serverSeed >>> 0);
}

export interface RequestFaults {
  /** Never finish; a stream still gets its 200 and SSE headers first, as from vLLM. */
  hang: boolean;
  /** Never send anything, not even the status line. */
  hangBeforeHeaders: boolean;
  /** 0 = off. */
  dieAfterTokens: number;
  /** 0 = off. */
  failAfterTokens: number;
  /** 0 = off. */
  stallAfterTokens: number;
  slowMs: number;
}

const INJECTED_MESSAGES: Record<429 | 500 | 503, string> = {
  429: 'Too many requests (simulated fault).',
  500: 'EngineCore encountered an issue (simulated fault).',
  503: 'The server is temporarily unable to serve this request (simulated fault).',
};

/** str(EngineDeadError()) in vLLM (v1/engine/exceptions.py): what a failing engine reports. */
export const ENGINE_DEAD_MESSAGE = 'EngineCore encountered an issue. See stack trace (above) for the root cause.';

const FAULT_HEADER_FORMS = 'error-429|error-500|error-503|hang|hang-before-headers|die-after-<K>|fail-after-<K>|stall-after-<K>|slow-<ms>';

/** Server-wide faults merged with the request's X-Sim-Fault header; throws the injected error, if any. */
export function resolveFaults(ctx: SimContext, req: IncomingMessage): RequestFaults {
  const settings = ctx.faults.get();
  const faults: RequestFaults = {
    hang: settings.hang,
    hangBeforeHeaders: settings.hangBeforeHeaders,
    dieAfterTokens: settings.dieAfterTokens,
    failAfterTokens: settings.failAfterTokens,
    stallAfterTokens: settings.stallAfterTokens,
    slowMs: 0,
  };
  const header = req.headers['x-sim-fault'];
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value !== undefined) {
    const parsed = parseFaultHeader(value);
    if (parsed === null) throw new SimulatorError(400, `Invalid X-Sim-Fault header '${value}': expected ${FAULT_HEADER_FORMS}`);
    for (const f of parsed) {
      if (f.kind === 'error') throw new SimulatorError(f.status, INJECTED_MESSAGES[f.status]);
      if (f.kind === 'hang') faults.hang = true;
      if (f.kind === 'hang-before-headers') faults.hangBeforeHeaders = true;
      if (f.kind === 'die') faults.dieAfterTokens = f.afterTokens;
      if (f.kind === 'fail') faults.failAfterTokens = f.afterTokens;
      if (f.kind === 'stall') faults.stallAfterTokens = f.afterTokens;
      if (f.kind === 'slow') faults.slowMs += f.ms;
    }
  }
  const status = ctx.faults.drawError();
  if (status !== null) throw new SimulatorError(status, INJECTED_MESSAGES[status]);
  return faults;
}

/** How an endpoint writes its generated choices. */
export interface GenerationOutput {
  /** Stream: what comes before the first token (chat: each choice's role chunk). */
  streamHead(format: StreamFormatter): string;
  /**
   * Stream: the chunk of choice `index`'s token `step`, or '' when vLLM sends no chunk for that
   * token (a tool parser holding text back). The last token of a choice always has a chunk.
   */
  streamChunk(format: StreamFormatter, index: number, step: number, usage: UsageCounts | null): string;
  /** The non-streaming body; may throw vLLM's error for an answer it cannot parse. */
  body(): string;
}

export interface GenerationSpec {
  kind: GenerationKind;
  id: string;
  created: number;
  engine: Engine;
  /** The `model` the answer names: the served name, or the LoRA adapter asked for. */
  modelName: string;
  promptTokens: number;
  choices: ChoicePlan[];
  output: GenerationOutput;
  stream: boolean;
  includeUsage: boolean;
  continuousUsage: boolean;
}

function queueFull(engine: Engine): SimulatorError {
  return new SimulatorError(
    503,
    `The server is overloaded: ${engine.model.profile.maxWaiting} requests are already waiting ` +
      `(the simulator bounds its waiting queue; vLLM's is unbounded).`,
  );
}

/** Holds a request open forever (the hang faults); the client leaving counts as an abort. */
function hang(ctx: SimContext, res: ServerResponse): void {
  ctx.hanging.add(res);
  res.on('close', () => {
    if (ctx.hanging.delete(res)) ctx.hangAborted += 1;
  });
}

function sseHeaders(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  res.flushHeaders();
}

export function runGeneration(ctx: SimContext, res: ServerResponse, spec: GenerationSpec, faults: RequestFaults): void {
  if (faults.hangBeforeHeaders || (faults.hang && !spec.stream)) {
    hang(ctx, res);
    return;
  }
  if (faults.hang) {
    // vLLM answers a stream with 200 and its headers before the first token: a stuck engine looks like this.
    sseHeaders(res);
    hang(ctx, res);
    return;
  }
  const { engine, choices, output } = spec;
  const scheduler = engine.scheduler;
  let ended = false;
  let tokensSent = 0;
  const dieAfter = faults.dieAfterTokens;
  const failAfter = faults.failAfterTokens;
  const stallAfter = faults.stallAfterTokens;

  const format = spec.stream ? new StreamFormatter(spec.kind, spec.id, spec.created, spec.modelName) : null;
  let job: Job | null = null;
  const abort = (): void => {
    if (job) scheduler.abort(job);
  };

  const die = (): void => {
    ended = true;
    abort();
    res.destroy();
  };

  /** The engine failed: non-streaming, vLLM's 500; streaming, its error event and [DONE] (serving_chat.py). */
  const fail = (sent: string): void => {
    ended = true;
    abort();
    if (!format) {
      sendApiError(res, new SimulatorError(500, ENGINE_DEAD_MESSAGE, 'Internal Server Error'));
      return;
    }
    res.end(sent + streamErrorEvent(ENGINE_DEAD_MESSAGE) + DONE_EVENT);
  };

  const onStep = (step: number): boolean => {
    if (!format) {
      for (const c of choices) if (c.deltas.length > step) tokensSent += 1;
      if (dieAfter > 0 && tokensSent >= dieAfter) die();
      else if (failAfter > 0 && tokensSent >= failAfter) fail('');
      // A stalled job stays paused (and running) until the client leaves.
      else if (stallAfter > 0 && tokensSent >= stallAfter) return false;
      return !ended;
    }
    let out = step === 0 ? output.streamHead(format) : '';
    for (let i = 0; i < choices.length; i++) {
      const c = choices[i];
      if (step >= c.deltas.length) continue;
      const usage = spec.continuousUsage ? { prompt: spec.promptTokens, completion: step + 1 } : null;
      out += output.streamChunk(format, i, step, usage);
      tokensSent += 1;
      if (dieAfter > 0 && tokensSent >= dieAfter) {
        // Send exactly K token chunks, then drop the connection without [DONE].
        ended = true;
        abort();
        res.write(out, () => res.destroy());
        return false;
      }
      if (failAfter > 0 && tokensSent >= failAfter) {
        fail(out);
        return false;
      }
      if (stallAfter > 0 && tokensSent >= stallAfter) {
        // Send exactly K token chunks, then nothing: the job stays paused (and running) until the client leaves.
        res.write(out);
        return false;
      }
    }
    if (out === '' || res.write(out)) return true;
    res.once('drain', () => {
      if (job) scheduler.resume(job);
    });
    return false;
  };

  const onDone = (): void => {
    if (ended) return;
    ended = true;
    if (!format) {
      if (dieAfter > 0) {
        res.destroy();
        return;
      }
      if (failAfter > 0) {
        fail('');
        return;
      }
      let body: string;
      try {
        body = output.body();
      } catch (err) {
        if (!(err instanceof SimulatorError)) throw err;
        sendApiError(res, err);
        return;
      }
      sendJson(res, 200, body);
      return;
    }
    let tail = '';
    if (spec.includeUsage) {
      let completion = 0;
      for (const c of choices) completion += c.deltas.length;
      tail += format.usageChunk(spec.promptTokens, completion);
    }
    res.end(tail + DONE_EVENT);
  };

  if (res.destroyed) return; // the client left while the body was being read
  job = scheduler.submit(
    {
      promptTokens: spec.promptTokens,
      choiceSteps: choices.map((c) => c.deltas.length),
      finishReasons: choices.map((c) => c.finishReason),
      extraTtftMs: faults.slowMs,
    },
    { onStep, onDone },
  );
  if (job === null) {
    sendApiError(res, queueFull(engine));
    return;
  }
  res.on('close', () => {
    if (!ended) {
      ended = true;
      abort();
    }
  });
  if (format) sseHeaders(res);
}
