/**
 * POST /v1/responses bodies, read as vLLM's ResponsesRequest (vllm/entrypoints/openai/protocol.py,
 * vLLM 0.11): the fields the simulator acts on are typed and checked with pydantic's lax rules and
 * messages; the others are kept as sent, because vLLM echoes them in the response object.
 */
import { SimulatorError, FieldProblem, requestValidationError } from '../errors';
import type { JsonObject } from '../request-parser';
import type { ChatTurn } from '../tokenizer';

export interface ResponsesRequest {
  model: string | null;
  /** The input as chat messages (a string is one user message). */
  input: ChatTurn[];
  instructions: string | null;
  maxOutputTokens: number | null;
  temperature: number | null;
  topP: number | null;
  stream: boolean;
  store: boolean;
  background: boolean;
  previousResponseId: string | null;
  tools: unknown[];
  /** vLLM's request_id extra field; the response id. Default resp_<uuid hex>. */
  requestId: string | null;
  /** include has "message.output_text.logprobs" (is_include_output_logprobs). */
  includeLogprobs: boolean;
  /** `text.format.type` when given. */
  textFormat: string | null;
  /** `text.format.schema` of a json_schema format (vLLM constrains the output to it). */
  textSchema: Record<string, unknown> | null;
  /** Echoed into the response object as sent (vLLM's from_request). */
  echo: {
    metadata: unknown;
    parallel_tool_calls: unknown;
    tool_choice: unknown;
    tools: unknown[];
    max_tool_calls: unknown;
    reasoning: unknown;
    service_tier: unknown;
    text: unknown;
    truncation: unknown;
    user: unknown;
    top_logprobs: number | null;
  };
}

const TEXT_PARTS = new Set(['input_text', 'output_text', 'text']);

/** ResponsesRequest.include's Literal values in vLLM 0.11; any other value is pydantic's literal_error. */
const INCLUDABLE = [
  'code_interpreter_call.outputs',
  'computer_call_output.output.image_url',
  'file_search_call.results',
  'message.input_image.image_url',
  'message.output_text.logprobs',
  'reasoning.encrypted_content',
];
const INCLUDABLE_MSG = `Input should be ${INCLUDABLE.slice(0, -1).map((v) => `'${v}'`).join(', ')} or '${INCLUDABLE[INCLUDABLE.length - 1]}'`;

function readInclude(v: unknown, problems: FieldProblem[]): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    problems.push({ type: 'list_type', loc: ['body', 'include'], msg: 'Input should be a valid list', input: v });
    return [];
  }
  v.forEach((item: unknown, i) => {
    if (typeof item !== 'string' || !INCLUDABLE.includes(item)) problems.push({ type: 'literal_error', loc: ['body', 'include', i], msg: INCLUDABLE_MSG, input: item });
  });
  return v.filter((item): item is string => typeof item === 'string');
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One input item as a chat message: {role, content} or {type:"message", role, content:[parts]}. */
function inputItem(item: unknown, i: number, problems: FieldProblem[]): ChatTurn | null {
  const loc = ['body', 'input', i];
  if (!isObject(item) || typeof item.role !== 'string') {
    // Items without a role (function_call, function_call_output, reasoning…) are harmony-only in vLLM 0.11.
    const kind = isObject(item) ? String(item.type ?? 'unknown') : typeof item;
    throw new SimulatorError(
      400,
      `The simulator imitates only message input items (with a role) for non-gpt-oss models; got an item of type '${kind}'.`,
      'BadRequestError',
    );
  }
  const content = item.content;
  if (typeof content === 'string') return { role: item.role, content };
  if (Array.isArray(content)) {
    const texts: string[] = [];
    for (const part of content) {
      if (isObject(part) && typeof part.type === 'string' && TEXT_PARTS.has(part.type) && typeof part.text === 'string') {
        texts.push(part.text);
      } else {
        const kind = isObject(part) ? String(part.type) : typeof part;
        throw new SimulatorError(400, `Unknown part type: ${kind}`, 'BadRequestError');
      }
    }
    return { role: item.role, content: texts.join('\n') };
  }
  problems.push({ type: 'string_type', loc: [...loc, 'content'], msg: 'Input should be a valid string', input: content });
  return null;
}

export function parseResponsesRequest(body: JsonObject): ResponsesRequest {
  const problems: FieldProblem[] = [];
  const fail = (key: string, type: string, msg: string): null => {
    problems.push({ type, loc: ['body', key], msg, input: body[key] });
    return null;
  };
  const str = (key: string): string | null => {
    const v = body[key];
    if (v === undefined || v === null) return null;
    return typeof v === 'string' ? v : fail(key, 'string_type', 'Input should be a valid string');
  };
  const int = (key: string): number | null => {
    const v = body[key];
    if (v === undefined || v === null) return null;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) return Number(v);
    return fail(key, 'int_type', 'Input should be a valid integer');
  };
  const float = (key: string): number | null => {
    const v = body[key];
    if (v === undefined || v === null) return null;
    if (typeof v === 'number') return v;
    return fail(key, 'float_type', 'Input should be a valid number');
  };
  const bool = (key: string, dflt: boolean): boolean => {
    const v = body[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v === 'boolean') return v;
    fail(key, 'bool_type', 'Input should be a valid boolean');
    return dflt;
  };

  // vLLM's model validators run before field validation (mode="before").
  if (body.background && body.store === false) {
    throw requestValidationError([
      { type: 'value_error', loc: ['body'], msg: 'Value error, background can only be used when `store` is true', input: body },
    ]);
  }
  if (body.prompt !== undefined && body.prompt !== null) {
    throw requestValidationError([
      { type: 'value_error', loc: ['body'], msg: 'Value error, prompt template is not supported', input: body },
    ]);
  }

  let input: ChatTurn[] = [];
  const rawInput = body.input;
  if (rawInput === undefined) {
    problems.push({ type: 'missing', loc: ['body', 'input'], msg: 'Field required', input: body });
  } else if (typeof rawInput === 'string') {
    input = [{ role: 'user', content: rawInput }];
  } else if (Array.isArray(rawInput)) {
    input = rawInput.map((item, i) => inputItem(item, i, problems)).filter((m): m is ChatTurn => m !== null);
  } else {
    fail('input', 'string_type', 'Input should be a valid string');
  }

  const tools = body.tools === undefined || body.tools === null ? [] : body.tools;
  if (!Array.isArray(tools)) fail('tools', 'list_type', 'Input should be a valid list');
  const text = body.text;
  const format = isObject(text) && isObject(text.format) && typeof text.format.type === 'string' ? text.format.type : null;

  const r: ResponsesRequest = {
    model: str('model'),
    input,
    instructions: str('instructions'),
    maxOutputTokens: int('max_output_tokens'),
    temperature: float('temperature'),
    topP: float('top_p'),
    stream: bool('stream', false),
    store: bool('store', true),
    background: bool('background', false),
    previousResponseId: str('previous_response_id'),
    tools: Array.isArray(tools) ? tools : [],
    requestId: str('request_id'),
    includeLogprobs: readInclude(body.include, problems).includes('message.output_text.logprobs'),
    textFormat: format,
    textSchema: isObject(text) && isObject(text.format) && isObject(text.format.schema) ? text.format.schema : null,
    echo: {
      metadata: body.metadata ?? null,
      parallel_tool_calls: body.parallel_tool_calls ?? true,
      tool_choice: body.tool_choice ?? 'auto',
      tools: Array.isArray(tools) ? tools : [],
      max_tool_calls: body.max_tool_calls ?? null,
      reasoning: body.reasoning ?? null,
      service_tier: body.service_tier ?? 'auto',
      text: text ?? null,
      truncation: body.truncation ?? 'disabled',
      user: body.user ?? null,
      top_logprobs: int('top_logprobs'),
    },
  };
  if (problems.length > 0) throw requestValidationError(problems);
  return r;
}
