/**
 * Turns request bodies into typed requests, accepting what vLLM 0.11's pydantic models accept
 * (lax numbers, unknown extra fields ignored) and refusing the rest with vLLM's errors:
 * type/shape problems as FastAPI validation errors ("Bad Request"), bad sampling values as
 * vLLM's SamplingParams messages ("BadRequestError").
 */
import { SimulatorError, FieldProblem, pyFloat, requestValidationError } from './errors';
import { OutputConstraint, readOutputConstraint } from './structured-output';
import type { ChatTurn } from './tokenizer';
import { isValidTokenId } from './tokenizer';
import { readToolRequest, ToolRequest } from './tools/tool-request';
import { VersionFeatures, versionFeatures } from './vllm-version';

const DEFAULT_FEATURES = versionFeatures('0.11.0');

export type JsonObject = Record<string, unknown>;

export interface SamplingRequest {
  model: string | null;
  /** As requested (chat: max_completion_tokens || max_tokens; completions: max_tokens, default 16). */
  maxTokens: number | null;
  minTokens: number;
  temperature: number | null;
  topP: number | null;
  topK: number | null;
  minP: number | null;
  presencePenalty: number | null;
  frequencyPenalty: number | null;
  repetitionPenalty: number | null;
  n: number;
  stop: string[];
  seed: number | null;
  ignoreEos: boolean;
  stream: boolean;
  includeUsage: boolean;
  continuousUsage: boolean;
  /** Completions: `logprobs`; chat: `top_logprobs` when `logprobs` is true (vLLM's SamplingParams.logprobs). */
  logprobs: number | null;
  /** structured outputs / response_format / guided_* (see structured-output.ts); null: free text. */
  constraint: OutputConstraint | null;
}

export interface PromptInput {
  /** Text of a text prompt; null for a token-id prompt. */
  text: string | null;
  /** Ids of a token-id prompt; null for a text prompt. */
  tokenIds: number[] | null;
}

export interface CompletionRequest extends SamplingRequest {
  prompts: PromptInput[];
  echo: boolean;
}

export interface ChatRequest extends SamplingRequest {
  messages: ChatTurn[];
  /** Tool use (tools/tool-request.ts); null: the model writes text. */
  toolRequest: ToolRequest | null;
}

export interface TokenizeRequest {
  model: string | null;
  prompt: PromptInput | null;
  messages: ChatTurn[] | null;
  addSpecialTokens: boolean;
  addGenerationPrompt: boolean;
  returnTokenStrs: boolean;
}

export interface DetokenizeRequest {
  model: string | null;
  tokens: number[];
}

/** vLLM's --max-logprobs default. */
export const DEFAULT_MAX_LOGPROBS = 20;
const TRUE_STRINGS = new Set(['true', 't', 'yes', 'y', 'on', '1']);
const FALSE_STRINGS = new Set(['false', 'f', 'no', 'n', 'off', '0']);

/** Parses a JSON body that must be an object. */
export function parseJsonObject(buf: Buffer): JsonObject {
  if (buf.length === 0) {
    throw requestValidationError([{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    const m = /position (\d+)/.exec(String((err as Error).message));
    throw requestValidationError([
      { type: 'json_invalid', loc: ['body', m ? Number(m[1]) : 0], msg: 'JSON decode error', input: {} },
    ]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw requestValidationError([
      {
        type: 'model_attributes_type',
        loc: ['body'],
        msg: 'Input should be a valid dictionary or object to extract fields from',
        input: value,
      },
    ]);
  }
  return value as JsonObject;
}

/** Reads fields with pydantic's lax coercions, collecting problems instead of throwing at once. */
class FieldReader {
  readonly problems: FieldProblem[] = [];
  constructor(private readonly body: JsonObject) {}

  private fail(key: string, type: string, msg: string, input: unknown): undefined {
    this.problems.push({ type, loc: ['body', key], msg, input });
    return undefined;
  }

  int(key: string): number | null | undefined {
    const v = this.body[key];
    if (v === undefined || v === null) return v as null | undefined;
    if (typeof v === 'number') {
      if (Number.isInteger(v)) return v;
      return this.fail(key, 'int_from_float', 'Input should be a valid integer, got a number with a fractional part', v);
    }
    if (typeof v === 'string') {
      if (/^\s*[-+]?\d+\s*$/.test(v)) return Number(v);
      return this.fail(key, 'int_parsing', 'Input should be a valid integer, unable to parse string as an integer', v);
    }
    return this.fail(key, 'int_type', 'Input should be a valid integer', v);
  }

  float(key: string): number | null | undefined {
    const v = this.body[key];
    if (v === undefined || v === null) return v as null | undefined;
    if (typeof v === 'number') return v;
    if (typeof v === 'string') {
      if (/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) return Number(v);
      return this.fail(key, 'float_parsing', 'Input should be a valid number, unable to parse string as a number', v);
    }
    return this.fail(key, 'float_type', 'Input should be a valid number', v);
  }

  bool(key: string): boolean | null | undefined {
    const v = this.body[key];
    if (v === undefined || v === null) return v as null | undefined;
    if (typeof v === 'boolean') return v;
    if (v === 0 || v === 1) return v === 1;
    if (typeof v === 'string') {
      const s = v.trim().toLowerCase();
      if (TRUE_STRINGS.has(s)) return true;
      if (FALSE_STRINGS.has(s)) return false;
      return this.fail(key, 'bool_parsing', 'Input should be a valid boolean, unable to interpret input', v);
    }
    return this.fail(key, 'bool_type', 'Input should be a valid boolean', v);
  }

  string(key: string): string | null | undefined {
    const v = this.body[key];
    if (v === undefined || v === null) return v as null | undefined;
    if (typeof v === 'string') return v;
    return this.fail(key, 'string_type', 'Input should be a valid string', v);
  }

  stop(): string[] {
    const v = this.body.stop;
    if (v === undefined || v === null) return [];
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
    this.fail('stop', 'string_type', 'Input should be a valid string', v);
    return [];
  }

  streamOptions(stream: boolean): { includeUsage: boolean; continuousUsage: boolean } {
    const v = this.body.stream_options;
    const none = { includeUsage: false, continuousUsage: false };
    if (v === undefined || v === null) return none;
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.fail('stream_options', 'model_type', 'Input should be a valid dictionary or instance of StreamOptions', v);
      return none;
    }
    if (!stream) {
      this.problems.push({
        type: 'value_error',
        loc: ['body'],
        msg: 'Value error, Stream options can only be defined when `stream=True`.',
        input: this.body,
      });
      return none;
    }
    const o = new FieldReader(v as JsonObject);
    const includeUsage = o.bool('include_usage') ?? false;
    const continuousUsage = o.bool('continuous_usage_stats') ?? false;
    for (const p of o.problems) this.problems.push({ ...p, loc: ['body', 'stream_options', ...p.loc.slice(1)] });
    return { includeUsage, continuousUsage };
  }

  throwIfProblems(): void {
    if (this.problems.length > 0) throw requestValidationError(this.problems);
  }
}

function readSampling(r: FieldReader, maxTokens: number | null, logprobs: number | null, constraint: OutputConstraint | null): SamplingRequest {
  const stream = r.bool('stream') ?? false;
  return {
    model: r.string('model') ?? null,
    maxTokens,
    minTokens: r.int('min_tokens') ?? 0,
    temperature: r.float('temperature') ?? null,
    topP: r.float('top_p') ?? null,
    topK: r.int('top_k') ?? null,
    minP: r.float('min_p') ?? null,
    presencePenalty: r.float('presence_penalty') ?? null,
    frequencyPenalty: r.float('frequency_penalty') ?? null,
    repetitionPenalty: r.float('repetition_penalty') ?? null,
    n: r.int('n') ?? 1,
    stop: r.stop(),
    seed: r.int('seed') ?? null,
    ignoreEos: r.bool('ignore_eos') ?? false,
    stream,
    ...r.streamOptions(stream),
    logprobs,
    constraint,
  };
}

function isTokenList(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number');
}

/** prompt: a string, a list of strings, a list of token ids, or a list of lists of token ids. */
function readPrompts(body: JsonObject, problems: FieldProblem[]): PromptInput[] {
  const v = body.prompt;
  const bad = (input: unknown): PromptInput[] => {
    problems.push({ type: 'string_type', loc: ['body', 'prompt'], msg: 'Input should be a valid string', input });
    return [];
  };
  if (v === undefined || v === null) {
    problems.push({
      type: 'value_error',
      loc: ['body'],
      msg: 'Value error, Either prompt or prompt_embeds must be provided and non-empty.',
      input: body,
    });
    return [];
  }
  if (typeof v === 'string') return [{ text: v, tokenIds: null }];
  if (!Array.isArray(v) || v.length === 0) return bad(v);
  if (v.every((x) => typeof x === 'string')) return (v as string[]).map((text) => ({ text, tokenIds: null }));
  if (isTokenList(v)) {
    if (!v.every(isValidTokenId)) return bad(v);
    return [{ text: null, tokenIds: v }];
  }
  if (v.every(isTokenList)) {
    if (!v.every((ids) => ids.every(isValidTokenId))) return bad(v);
    return (v as number[][]).map((tokenIds) => ({ text: null, tokenIds }));
  }
  return bad(v);
}

const TEXT_PART_TYPES = new Set(['text', 'input_text']);

/** An assistant's tool calls and a tool result's call id, as sent: a chat template may render them. */
function toolFields(msg: JsonObject): Pick<ChatTurn, 'toolCalls' | 'toolCallId'> {
  const out: Pick<ChatTurn, 'toolCalls' | 'toolCallId'> = {};
  if (Array.isArray(msg.tool_calls)) out.toolCalls = msg.tool_calls;
  if (typeof msg.tool_call_id === 'string') out.toolCallId = msg.tool_call_id;
  return out;
}

/** messages: [{role, content}] with content a string, a list of text parts, or null. */
function readMessages(body: JsonObject, problems: FieldProblem[]): ChatTurn[] | null {
  const v = body.messages;
  if (v === undefined) {
    problems.push({ type: 'missing', loc: ['body', 'messages'], msg: 'Field required', input: body });
    return null;
  }
  if (!Array.isArray(v)) {
    problems.push({ type: 'list_type', loc: ['body', 'messages'], msg: 'Input should be a valid list', input: v });
    return null;
  }
  const turns: ChatTurn[] = [];
  v.forEach((m: unknown, i) => {
    const loc = ['body', 'messages', i];
    if (typeof m !== 'object' || m === null || Array.isArray(m)) {
      problems.push({ type: 'dict_type', loc, msg: 'Input should be a valid dictionary', input: m });
      return;
    }
    const msg = m as JsonObject;
    if (typeof msg.role !== 'string') {
      problems.push(
        msg.role === undefined
          ? { type: 'missing', loc: [...loc, 'role'], msg: 'Field required', input: msg }
          : { type: 'string_type', loc: [...loc, 'role'], msg: 'Input should be a valid string', input: msg.role },
      );
      return;
    }
    const content = msg.content;
    if (content === undefined || content === null) {
      turns.push({ role: msg.role, content: '', ...toolFields(msg) });
    } else if (typeof content === 'string') {
      turns.push({ role: msg.role, content, ...toolFields(msg) });
    } else if (Array.isArray(content)) {
      const texts: string[] = [];
      for (const part of content as unknown[]) {
        const p = part as JsonObject | null;
        if (typeof p === 'object' && p !== null && typeof p.type === 'string' && TEXT_PART_TYPES.has(p.type)) {
          if (typeof p.text !== 'string') {
            problems.push({ type: 'string_type', loc: [...loc, 'content'], msg: 'Input should be a valid string', input: p.text });
            return;
          }
          texts.push(p.text);
        } else if (typeof p === 'string') {
          texts.push(p);
        } else {
          const kind = typeof p === 'object' && p !== null ? String(p.type) : typeof p;
          throw new SimulatorError(400, `Unknown part type: ${kind}`, 'BadRequestError');
        }
      }
      turns.push({ role: msg.role, content: texts.join('\n'), ...toolFields(msg) });
    } else {
      problems.push({ type: 'string_type', loc: [...loc, 'content'], msg: 'Input should be a valid string', input: content });
    }
  });
  return turns;
}

/** A before-validator's ValueError, as pydantic reports it. */
function valueError(body: JsonObject, message: string): FieldProblem {
  return { type: 'value_error', loc: ['body'], msg: `Value error, ${message}`, input: body };
}

export function parseCompletionRequest(body: JsonObject, features: VersionFeatures = DEFAULT_FEATURES): CompletionRequest {
  // protocol.py CompletionRequest.check_logprobs runs before the fields are validated.
  if (typeof body.logprobs === 'number' && body.logprobs < 0) {
    throw requestValidationError([valueError(body, '`logprobs` must be a positive value.')]);
  }
  const r = new FieldReader(body);
  const maxTokens = body.max_tokens === undefined ? 16 : (r.int('max_tokens') ?? null);
  const logprobs = r.int('logprobs') ?? null;
  const constraint = readOutputConstraint(body, features, r.problems);
  const sampling = readSampling(r, maxTokens, logprobs, constraint);
  const echo = r.bool('echo') ?? false;
  r.string('user');
  const prompts = readPrompts(body, r.problems);
  r.throwIfProblems();
  return { ...sampling, prompts, echo };
}

export function parseChatRequest(body: JsonObject, features: VersionFeatures = DEFAULT_FEATURES): ChatRequest {
  // protocol.py ChatCompletionRequest's before-validators (check_tool_usage, check_logprobs) run
  // before the fields are validated; the first that fails is the answer.
  const before: FieldProblem[] = [];
  const toolRequest = readToolRequest(body, before);
  if (before.length > 0) throw requestValidationError(before);
  const top = body.top_logprobs;
  if (typeof top === 'number') {
    if (top < 0) throw requestValidationError([valueError(body, '`top_logprobs` must be a positive value.')]);
    if (top > 0 && body.logprobs !== true) {
      throw requestValidationError([valueError(body, 'when using `top_logprobs`, `logprobs` must be set to true.')]);
    }
  }
  const r = new FieldReader(body);
  const maxCompletion = r.int('max_completion_tokens') ?? null;
  const maxTokens = r.int('max_tokens') ?? null;
  const wantsLogprobs = r.bool('logprobs') ?? false;
  const topLogprobs = r.int('top_logprobs') ?? null;
  r.string('user');
  const constraint = readOutputConstraint(body, features, r.problems);
  const sampling = readSampling(r, maxCompletion || maxTokens, wantsLogprobs ? (topLogprobs ?? 0) : null, constraint);
  const messages = readMessages(body, r.problems);
  r.throwIfProblems();
  return { ...sampling, messages: messages ?? [], toolRequest };
}

export function parseTokenizeRequest(body: JsonObject): TokenizeRequest {
  const r = new FieldReader(body);
  const model = r.string('model') ?? null;
  const returnTokenStrs = r.bool('return_token_strs') ?? false;
  if (body.messages !== undefined) {
    const addSpecialTokens = r.bool('add_special_tokens') ?? false;
    const addGenerationPrompt = r.bool('add_generation_prompt') ?? true;
    const messages = readMessages(body, r.problems);
    r.throwIfProblems();
    return { model, prompt: null, messages, addSpecialTokens, addGenerationPrompt, returnTokenStrs };
  }
  const addSpecialTokens = r.bool('add_special_tokens') ?? true;
  const v = body.prompt;
  let prompt: PromptInput | null = null;
  if (typeof v === 'string') prompt = { text: v, tokenIds: null };
  else if (v === undefined) r.problems.push({ type: 'missing', loc: ['body', 'prompt'], msg: 'Field required', input: body });
  else r.problems.push({ type: 'string_type', loc: ['body', 'prompt'], msg: 'Input should be a valid string', input: v });
  r.throwIfProblems();
  return { model, prompt, messages: null, addSpecialTokens, addGenerationPrompt: false, returnTokenStrs };
}

export function parseDetokenizeRequest(body: JsonObject): DetokenizeRequest {
  const r = new FieldReader(body);
  const model = r.string('model') ?? null;
  const v = body.tokens;
  if (v === undefined) {
    r.problems.push({ type: 'missing', loc: ['body', 'tokens'], msg: 'Field required', input: body });
  } else if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isInteger(x))) {
    r.problems.push({ type: 'list_type', loc: ['body', 'tokens'], msg: 'Input should be a valid list of integers', input: v });
  }
  r.throwIfProblems();
  const tokens = v as number[];
  const bad = tokens.find((t) => !isValidTokenId(t));
  if (bad !== undefined) throw new SimulatorError(400, `Token id ${bad} is out of vocabulary`, 'BadRequestError');
  return { model, tokens };
}

/**
 * vLLM's SamplingParams checks (vLLM 0.11 wording), run after the context-length check.
 * `maxTokens` is the resolved value that will be used.
 */
export function checkSampling(req: SamplingRequest, maxTokens: number, maxLogprobs = DEFAULT_MAX_LOGPROBS): void {
  const fail = (message: string): never => {
    throw new SimulatorError(400, message, 'BadRequestError');
  };
  if (req.n < 1) fail(`n must be at least 1, got ${req.n}.`);
  if (req.presencePenalty !== null && !(req.presencePenalty >= -2 && req.presencePenalty <= 2)) {
    fail(`presence_penalty must be in [-2, 2], got ${pyFloat(req.presencePenalty)}.`);
  }
  if (req.frequencyPenalty !== null && !(req.frequencyPenalty >= -2 && req.frequencyPenalty <= 2)) {
    fail(`frequency_penalty must be in [-2, 2], got ${pyFloat(req.frequencyPenalty)}.`);
  }
  if (req.repetitionPenalty !== null && !(req.repetitionPenalty > 0)) {
    fail(`repetition_penalty must be greater than zero, got ${pyFloat(req.repetitionPenalty)}.`);
  }
  if (req.temperature !== null && !(req.temperature >= 0)) {
    fail(`temperature must be non-negative, got ${pyFloat(req.temperature)}.`);
  }
  if (req.topP !== null && !(req.topP > 0 && req.topP <= 1)) fail(`top_p must be in (0, 1], got ${pyFloat(req.topP)}.`);
  if (req.topK !== null && req.topK < -1) fail(`top_k must be 0 (disable), or at least 1, got ${req.topK}.`);
  if (req.minP !== null && !(req.minP >= 0 && req.minP <= 1)) fail(`min_p must be in [0, 1], got ${pyFloat(req.minP)}.`);
  if (maxTokens < 1) fail(`max_tokens must be at least 1, got ${maxTokens}.`);
  if (req.minTokens < 0) fail(`min_tokens must be greater than or equal to 0, got ${req.minTokens}.`);
  if (req.minTokens > maxTokens) {
    fail(`min_tokens must be less than or equal to max_tokens=${maxTokens}, got ${req.minTokens}.`);
  }
  // vllm/v1/engine/processor.py _validate_logprobs.
  if (req.logprobs !== null && req.logprobs > maxLogprobs) {
    fail(`Requested sample logprobs of ${req.logprobs}, which is greater than max allowed: ${maxLogprobs}`);
  }
}
