/**
 * What the simulated model writes when a chat request uses tools, and how vLLM 0.11 turns that text
 * into `tool_calls` (serving_chat.py `chat_completion_full_generator`):
 * - a named tool_choice: the model writes the arguments object (decoding is constrained to the
 *   function's schema); the message gets `content: ""`, one call with a `chatcmpl-tool-…` id, and the
 *   engine's finish_reason ("stop", or "length" with the arguments cut);
 * - "required": the model writes `[{"name": …, "parameters": {…}}, …]` (constrained to the tools'
 *   schemas); vLLM parses it (a cut list is pydantic's 400), `content: ""`, finish_reason "stop";
 * - "auto" with the `mistral` parser: the model may write `[TOOL_CALLS] [{"name": …, "arguments":
 *   {…}}]`; the parser turns it into calls with Mistral's 9-character ids, `content: null`,
 *   finish_reason "tool_calls"; a cut list stays text (the parser cannot load it).
 * Arguments are written as Python's json.dumps writes them, which is what vLLM returns.
 *
 * Which tools the model calls, and whether "auto" calls one at all, are the simulator's choices
 * (a heuristic, deterministic for the seed): "auto" calls a tool 3 times in 4, never right after a
 * `tool` message (the model answers with the result); with two or more tools, 1 call in 4 is two
 * parallel calls.
 */
import { SimulatorError } from '../errors';
import { createRng, mix32 } from '../prng';
import { pyJsonDumps } from '../py-json';
import { valueFromSchema } from '../schema-values';
import type { ChoicePlan } from '../text-generator';
import { mistralToolCallId, toolCallId } from '../ids';
import type { ToolDefinition, ToolRequest } from './tool-request';

/** Tool-call parsers the simulator imitates (vLLM's names, `--tool-call-parser`). */
export const IMITATED_TOOL_PARSERS = ['mistral'] as const;

export const MISTRAL_BOT_TOKEN = '[TOOL_CALLS]';

export type ToolMode = 'named' | 'required' | 'auto';

export interface PlannedCall {
  name: string;
  /** Where the call's arguments object sits in the planned text (end exclusive). */
  argsStart: number;
  argsEnd: number;
  /** Where the call's name ends in the planned text (the Mistral parser streams the name once it is whole). */
  nameEnd: number;
}

export interface ToolPlan {
  mode: ToolMode;
  /** The whole text the model writes (before max_tokens or a stop string cuts it). */
  text: string;
  /** Its tokens. */
  pieces: string[];
  calls: PlannedCall[];
}

export interface ToolCallOut {
  id: string;
  name: string;
  arguments: string;
}

/** The chat message a choice becomes once vLLM has parsed its text. */
export interface ParsedChoice {
  content: string | null;
  toolCalls: ToolCallOut[];
  finishReason: string;
}

function argumentsFor(tool: ToolDefinition, seed: number): string {
  return pyJsonDumps(valueFromSchema(tool.parameters ?? { type: 'object', properties: {} }, seed));
}

/**
 * The text the model writes for this choice, or null when it writes ordinary text ("auto" decided
 * not to call, or there are no tools to call).
 */
export function planToolText(
  req: ToolRequest,
  seed: number,
  lastRole: string | null,
  /** The model tokenizer's pieces of a text (the calls' text is released token by token). */
  tokenPieces: (text: string) => string[],
): ToolPlan | null {
  const rng = createRng(mix32(seed, 0x7001));
  if (req.tools.length === 0) return null;
  let mode: ToolMode;
  let chosen: ToolDefinition[];
  if (typeof req.choice === 'object') {
    const name = req.choice.name;
    mode = 'named';
    chosen = [req.tools.find((t) => t.name === name) as ToolDefinition];
  } else {
    mode = req.choice;
    if (mode === 'auto' && (lastRole === 'tool' || rng() >= 0.75)) return null;
    const first = Math.floor(rng() * req.tools.length);
    chosen = [req.tools[first]];
    if (req.tools.length >= 2 && rng() < 0.25) chosen.push(req.tools[(first + 1 + Math.floor(rng() * (req.tools.length - 1))) % req.tools.length]);
  }

  const calls: PlannedCall[] = [];
  let text = '';
  if (mode === 'named') {
    text = argumentsFor(chosen[0], mix32(seed, 0));
    calls.push({ name: chosen[0].name, argsStart: 0, argsEnd: text.length, nameEnd: 0 });
    return { mode, text, pieces: tokenPieces(text), calls };
  }
  const key = mode === 'required' ? 'parameters' : 'arguments';
  text = mode === 'auto' ? `${MISTRAL_BOT_TOKEN} [` : '[';
  chosen.forEach((tool, k) => {
    if (k > 0) text += ', ';
    text += `{"name": ${JSON.stringify(tool.name)}`;
    const nameEnd = text.length;
    text += `, "${key}": `;
    const args = argumentsFor(tool, mix32(seed, k));
    calls.push({ name: tool.name, argsStart: text.length, argsEnd: text.length + args.length, nameEnd });
    text += args + '}';
  });
  text += ']';
  // [TOOL_CALLS] is one special token (vLLM keeps special tokens in the text for this parser).
  const pieces = mode === 'auto' ? [MISTRAL_BOT_TOKEN, ...tokenPieces(text.slice(MISTRAL_BOT_TOKEN.length))] : tokenPieces(text);
  return { mode, text, pieces, calls };
}

/** pydantic's message when vLLM parses a cut "required" list (TypeAdapter(list[FunctionDefinition]).validate_json). */
function cutListError(text: string): SimulatorError {
  const shown = text.length > 50 ? `${text.slice(0, 50)}...` : text;
  return new SimulatorError(
    400,
    `1 validation error for list[FunctionDefinition]\n  Invalid JSON: EOF while parsing a value at line 1 column ${text.length} ` +
      `[type=json_invalid, input_value='${shown}', input_type=str]\n    For further information visit https://errors.pydantic.dev/2.11/v/json_invalid`,
  );
}

/** The message of a finished choice (non-streaming). Throws vLLM's 400 for a cut "required" list. */
export function parseToolChoice(plan: ToolPlan, choice: ChoicePlan): ParsedChoice {
  const complete = choice.text === plan.text;
  switch (plan.mode) {
    case 'named':
      return {
        content: '',
        toolCalls: [{ id: toolCallId(), name: plan.calls[0].name, arguments: choice.text }],
        finishReason: choice.finishReason,
      };
    case 'required':
      if (!complete) throw cutListError(choice.text);
      return {
        content: '',
        toolCalls: plan.calls.map((c) => ({ id: toolCallId(), name: c.name, arguments: plan.text.slice(c.argsStart, c.argsEnd) })),
        finishReason: choice.finishReason,
      };
    case 'auto':
      if (!complete) return { content: choice.text.replace(MISTRAL_BOT_TOKEN, '').trim(), toolCalls: [], finishReason: choice.finishReason };
      return {
        content: null,
        toolCalls: plan.calls.map((c) => ({ id: mistralToolCallId(), name: c.name, arguments: plan.text.slice(c.argsStart, c.argsEnd) })),
        finishReason: 'tool_calls',
      };
  }
}
