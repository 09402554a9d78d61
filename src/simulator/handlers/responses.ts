/**
 * POST /v1/responses, GET /v1/responses/{id}, POST /v1/responses/{id}/cancel: vLLM 0.11's Responses
 * API for a model that is not gpt-oss (vllm/entrypoints/openai/serving_responses.py, the routes in
 * api_server.py). Its order of checks, its errors, its store (off unless the simulator is started with
 * it on, like VLLM_ENABLE_RESPONSES_API_STORE=1) and its streaming events; generation runs through the
 * model's scheduler like chat does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimulatorError, pyFloat } from '../errors';
import { assertJsonContentType, readBody, sendApiError, sendJson } from '../http-util';
import { parseJsonObject } from '../request-parser';
import { parseResponsesRequest, ResponsesRequest } from '../responses/request';
import { messageOutput, ResponseEventStream, ResponseFrame, responseBody, uuidHex } from '../responses/shapes';
import type { StoredResponse } from '../responses/store';
import { answeringModel, Engine, resolveEngine, SimContext } from '../sim-context';
import type { Job } from '../scheduler';
import { constrainedText } from '../structured-output';
import { ChoicePlan, planChoice } from '../text-generator';
import type { ChatTurn } from '../tokenizer';
import { outputSeed, RequestFaults, resolveFaults } from './generation';

/** vLLM's create_error_response(err_type="invalid_request_error", ...). */
function invalidRequest(status: number, message: string): SimulatorError {
  return new SimulatorError(status, message, 'invalid_request_error');
}

function notFound(id: string): SimulatorError {
  return invalidRequest(404, `Response with id '${id}' not found.`);
}

/** _make_invalid_id_error: every response id vLLM looks up must begin with "resp_" (a 400, checked before the store). */
function checkResponseId(id: string): void {
  if (!id.startsWith('resp_')) throw invalidRequest(400, `Invalid 'response_id': '${id}'. Expected an ID that begins with 'resp'.`);
}

/** _construct_input_messages: instructions, the previous turn's messages and output, then the input. */
function inputMessages(ctx: SimContext, r: ResponsesRequest, prev: StoredResponse | null): ChatTurn[] {
  const messages: ChatTurn[] = [];
  if (r.instructions) messages.push({ role: 'system', content: r.instructions });
  if (prev) {
    messages.push(...ctx.responses.messagesOf(prev.body.id));
    for (const item of prev.body.output as Array<{ type?: string; content?: Array<{ text: string }> }>) {
      if (item.type === 'message') for (const c of item.content ?? []) messages.push({ role: 'assistant', content: c.text });
    }
  }
  messages.push(...r.input);
  return messages;
}

/** SamplingParams' checks on what the Responses API sets (temperature, top_p, max_tokens). */
function checkSampling(temperature: number, topP: number, maxTokens: number): void {
  const fail = (m: string): never => {
    throw new SimulatorError(400, m, 'BadRequestError');
  };
  if (!(temperature >= 0)) fail(`temperature must be non-negative, got ${pyFloat(temperature)}.`);
  if (!(topP > 0 && topP <= 1)) fail(`top_p must be in (0, 1], got ${pyFloat(topP)}.`);
  if (maxTokens < 1) fail(`max_tokens must be at least 1, got ${maxTokens}.`);
}

interface Run {
  plan: ChoicePlan;
  promptTokens: number;
  engine: Engine;
  faults: RequestFaults;
}

/**
 * The token count after which the connection drops: die-after-K, or fail-after-K, which on this
 * endpoint ends the same way (an exception in vLLM's Responses stream generator aborts Starlette's
 * streaming response: no further event, the connection closes). 0 = never.
 */
function dropAfter(f: RequestFaults): number {
  const ks = [f.dieAfterTokens, f.failAfterTokens].filter((k) => k > 0);
  return ks.length > 0 ? Math.min(...ks) : 0;
}

/** Runs the plan through the scheduler; onStep gets each token's text, false pauses (backpressure). */
function schedule(run: Run, onStep: (text: string, step: number) => boolean, onDone: () => void): Job | null {
  return run.engine.scheduler.submit(
    {
      promptTokens: run.promptTokens,
      choiceSteps: [run.plan.deltas.length],
      finishReasons: [run.plan.finishReason],
      extraTtftMs: run.faults.slowMs,
    },
    { onStep: (step) => onStep(run.plan.deltas[step], step), onDone },
  );
}

function queueFull(engine: Engine): SimulatorError {
  return new SimulatorError(
    503,
    `The server is overloaded: ${engine.model.profile.maxWaiting} requests are already waiting ` +
      `(the simulator bounds its waiting queue; vLLM's is unbounded).`,
  );
}

export async function handleCreateResponse(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  assertJsonContentType(req);
  const r = parseResponsesRequest(parseJsonObject(await readBody(req)));
  const engine = resolveEngine(ctx, r.model);

  if (r.store && !ctx.responses.enabled) {
    if (r.background) {
      throw invalidRequest(
        400,
        'This vLLM engine does not support `store=True` and therefore does not support the background mode. ' +
          'To enable these features, set the environment variable `VLLM_ENABLE_RESPONSES_API_STORE=1` when launching the vLLM server.',
      );
    }
    // vLLM silently drops store=True (the API's default) when its store is off.
    r.store = false;
  }
  let prev: StoredResponse | null = null;
  if (r.previousResponseId !== null) {
    checkResponseId(r.previousResponseId);
    prev = ctx.responses.get(r.previousResponseId) ?? null;
    if (!prev) throw notFound(r.previousResponseId);
  }
  if (r.tools.length > 0) {
    throw new SimulatorError(400, 'Tool use is not supported in Responses API without Harmony None', 'BadRequestError');
  }

  const messages = inputMessages(ctx, r, prev);
  const promptTokens = engine.tokenizer.countChat(messages);
  const limit = engine.model.maxModelLen;
  if (limit <= promptTokens) {
    throw invalidRequest(400, `The engine prompt length ${promptTokens} exceeds the max_model_len ${limit}. Please reduce prompt.`);
  }
  const maxTokens = r.maxOutputTokens === null ? limit - promptTokens : Math.min(r.maxOutputTokens, limit - promptTokens);
  const temperature = r.temperature ?? 1.0;
  const topP = r.topP ?? 1.0;
  checkSampling(temperature, topP, maxTokens);
  if (r.includeLogprobs) {
    // vLLM 0.11 returns output_text logprobs then; the simulator does not imitate them on this endpoint.
    throw new SimulatorError(
      400,
      'The vLLM simulator does not imitate Responses API logprobs (include "message.output_text.logprobs"); a real vLLM returns them.',
      'BadRequestError',
    );
  }
  if (r.textFormat === 'json_object') {
    // Raised outside vLLM's ValueError handler: FastAPI's 500 with the exception text.
    throw new SimulatorError(500, 'json_object is not supported', 'Internal Server Error');
  }
  const faults = resolveFaults(ctx, req);

  const frame: ResponseFrame = {
    id: r.requestId ?? `resp_${uuidHex()}`,
    createdAt: Math.floor(Date.now() / 1000),
    model: answeringModel(engine, r.model),
    request: r,
    temperature,
    topP,
    maxTokens,
  };
  let key = '';
  for (const m of messages) key += `${m.role}\u0000${m.content}\u0000`;
  let echo = '';
  for (const m of messages) if (m.role === 'user') echo = m.content;
  const seed = outputSeed(null, key, ctx.seed);
  // to_sampling_params: a json_schema format with a schema becomes StructuredOutputsParams(json=schema).
  const fixed =
    r.textFormat === 'json_schema' && r.textSchema
      ? engine.tokenizer.pieces(constrainedText({ kind: 'json', schema: r.textSchema }, seed))
      : undefined;
  const plan = planChoice(
    {
      maxTokens,
      minTokens: 0,
      ignoreEos: false,
      stop: [],
      seed,
      mode: ctx.outputMode,
      echoSource: echo,
      leadingSpace: false,
      tokenPieces: (text: string) => engine.tokenizer.pieces(text),
      eosText: engine.tokenizer.family.eosToken,
    },
    0,
    fixed,
  );
  const run: Run = { plan, promptTokens, engine, faults };
  if (r.store) ctx.responses.putMessages(frame.id, messages);
  const finalBody = () => responseBody(frame, 'completed', messageOutput(plan.text), { input: promptTokens, output: plan.deltas.length });

  if (faults.hang || faults.hangBeforeHeaders) {
    holdOpen(ctx, res, r.stream && !faults.hangBeforeHeaders);
    return;
  }
  if (r.background) {
    runInBackground(ctx, run, frame, finalBody);
    sendJson(res, 200, JSON.stringify(ctx.responses.get(frame.id)?.body));
    return;
  }
  if (r.stream) streamResponse(ctx, res, run, frame, finalBody, r.store);
  else answerResponse(ctx, res, run, finalBody, r.store);
}

/** The hang fault: a stream gets its 200 and SSE headers, as vLLM sends them at once, then nothing. */
function holdOpen(ctx: SimContext, res: ServerResponse, stream: boolean): void {
  ctx.hanging.add(res);
  res.on('close', () => {
    if (ctx.hanging.delete(res)) ctx.hangAborted += 1;
  });
  if (stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    res.flushHeaders();
  }
}

function answerResponse(
  ctx: SimContext,
  res: ServerResponse,
  run: Run,
  finalBody: () => ReturnType<typeof responseBody>,
  store: boolean,
): void {
  let generated = 0;
  let job: Job | null = null;
  let ended = false;
  job = schedule(
    run,
    () => {
      generated += 1;
      if (dropAfter(run.faults) > 0 && generated >= dropAfter(run.faults)) {
        ended = true;
        if (job) run.engine.scheduler.abort(job);
        res.destroy();
        return false;
      }
      // stall-after-K: the job stays paused (and running) until the client leaves.
      return !(run.faults.stallAfterTokens > 0 && generated >= run.faults.stallAfterTokens);
    },
    () => {
      if (ended) return;
      ended = true;
      const body = finalBody();
      if (store) ctx.responses.put({ body, cancel: null });
      sendJson(res, 200, JSON.stringify(body));
    },
  );
  if (job === null) {
    sendApiError(res, queueFull(run.engine));
    return;
  }
  res.on('close', () => {
    if (!ended && job) {
      ended = true;
      run.engine.scheduler.abort(job);
    }
  });
}

function streamResponse(
  ctx: SimContext,
  res: ServerResponse,
  run: Run,
  frame: ResponseFrame,
  finalBody: () => ReturnType<typeof responseBody>,
  store: boolean,
): void {
  const events = new ResponseEventStream(frame);
  let job: Job | null = null;
  let ended = false;
  let sent = 0;
  job = schedule(
    run,
    (text) => {
      sent += 1;
      const chunk = events.delta(text);
      if (dropAfter(run.faults) > 0 && sent >= dropAfter(run.faults)) {
        ended = true;
        if (job) run.engine.scheduler.abort(job);
        res.write(chunk, () => res.destroy());
        return false;
      }
      if (run.faults.stallAfterTokens > 0 && sent >= run.faults.stallAfterTokens) {
        res.write(chunk);
        return false; // stalled: paused (and running) until the client leaves
      }
      if (res.write(chunk)) return true;
      res.once('drain', () => {
        if (job) run.engine.scheduler.resume(job);
      });
      return false;
    },
    () => {
      if (ended) return;
      ended = true;
      const body = finalBody();
      if (store) ctx.responses.put({ body, cancel: null });
      res.end(events.tail(body));
    },
  );
  if (job === null) {
    sendApiError(res, queueFull(run.engine));
    return;
  }
  res.on('close', () => {
    if (!ended && job) {
      ended = true;
      run.engine.scheduler.abort(job);
    }
  });
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  res.write(events.head());
}

/** background=true (store on): answer the queued response now; the stored one completes later. */
function runInBackground(ctx: SimContext, run: Run, frame: ResponseFrame, finalBody: () => ReturnType<typeof responseBody>): void {
  const entry: StoredResponse = { body: responseBody(frame, 'queued', [], null), cancel: null };
  ctx.responses.put(entry);
  const job = schedule(
    run,
    () => true,
    () => {
      if (entry.body.status === 'cancelled') return;
      entry.body = finalBody();
      entry.cancel = null;
    },
  );
  if (job === null) {
    entry.body = { ...entry.body, status: 'failed' };
    return;
  }
  entry.cancel = () => run.engine.scheduler.abort(job);
}

function responseId(req: IncomingMessage): { id: string; cancel: boolean } {
  const path = (req.url ?? '').split('?', 1)[0];
  const rest = decodeURIComponent(path.slice('/v1/responses/'.length));
  return rest.endsWith('/cancel') ? { id: rest.slice(0, -'/cancel'.length), cancel: true } : { id: rest, cancel: false };
}

/** GET /v1/responses/{id}: the stored response, or vLLM's 404 (always, while the store is off). */
export function handleRetrieveResponse(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  const { id } = responseId(req);
  checkResponseId(id);
  const entry = ctx.responses.get(id);
  if (!entry) throw notFound(id);
  const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
  if (['true', '1'].includes((query.get('stream') ?? '').toLowerCase())) {
    throw new SimulatorError(400, 'The simulator does not imitate streaming a stored response (GET with stream=true).', 'BadRequestError');
  }
  sendJson(res, 200, JSON.stringify(entry.body));
}

/** POST /v1/responses/{id}/cancel: only a background response still queued or in progress can be. */
export function handleCancelResponse(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  const { id } = responseId(req);
  checkResponseId(id);
  const entry = ctx.responses.get(id);
  if (!entry) throw notFound(id);
  if (entry.body.status !== 'queued' && entry.body.status !== 'in_progress') {
    throw invalidRequest(400, 'Cannot cancel a synchronous response.');
  }
  entry.body = { ...entry.body, status: 'cancelled' };
  entry.cancel?.();
  entry.cancel = null;
  sendJson(res, 200, JSON.stringify(entry.body));
}
