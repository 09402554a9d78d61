/**
 * `tools` and `tool_choice` of a chat request, read as vLLM 0.11's ChatCompletionRequest does
 * (protocol.py, `check_tool_usage` and the ChatCompletionToolsParam model):
 * - no `tool_choice` but a non-empty `tools` means "auto";
 * - "none" drops the tools (the model writes text);
 * - any other `tool_choice` needs `tools`, and a named one must name one of them.
 * Whether "auto" is allowed at all depends on the server's flags, which the handler checks.
 */
import { SimulatorError, FieldProblem } from '../errors';

type JsonObject = Record<string, unknown>;

export interface ToolDefinition {
  name: string;
  /** The function's JSON Schema; null when the tool has none. */
  parameters: JsonObject | null;
}

export type ToolChoice = 'auto' | 'required' | { name: string };

export interface ToolRequest {
  tools: ToolDefinition[];
  choice: ToolChoice;
}

const USAGE = ' Correct usage: `{"type": "function", "function": {"name": "my_function"}}`';

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readTools(v: unknown, problems: FieldProblem[]): ToolDefinition[] | null {
  if (!Array.isArray(v)) {
    problems.push({ type: 'list_type', loc: ['body', 'tools'], msg: 'Input should be a valid list', input: v });
    return null;
  }
  const tools: ToolDefinition[] = [];
  v.forEach((t: unknown, i) => {
    const loc = ['body', 'tools', i];
    if (!isObject(t)) {
      problems.push({ type: 'model_type', loc, msg: 'Input should be a valid dictionary or instance of ChatCompletionToolsParam', input: t });
      return;
    }
    if (t.type !== undefined && t.type !== 'function') {
      problems.push({ type: 'literal_error', loc: [...loc, 'type'], msg: "Input should be 'function'", input: t.type });
      return;
    }
    const f = t.function;
    if (!isObject(f)) {
      problems.push(
        f === undefined
          ? { type: 'missing', loc: [...loc, 'function'], msg: 'Field required', input: t }
          : { type: 'model_type', loc: [...loc, 'function'], msg: 'Input should be a valid dictionary or instance of FunctionDefinition', input: f },
      );
      return;
    }
    if (typeof f.name !== 'string') {
      problems.push(
        f.name === undefined
          ? { type: 'missing', loc: [...loc, 'function', 'name'], msg: 'Field required', input: f }
          : { type: 'string_type', loc: [...loc, 'function', 'name'], msg: 'Input should be a valid string', input: f.name },
      );
      return;
    }
    if (f.parameters !== undefined && f.parameters !== null && !isObject(f.parameters)) {
      problems.push({ type: 'dict_type', loc: [...loc, 'function', 'parameters'], msg: 'Input should be a valid dictionary', input: f.parameters });
      return;
    }
    tools.push({ name: f.name, parameters: isObject(f.parameters) ? f.parameters : null });
  });
  return tools;
}

/**
 * The request's tool use, or null when the model writes text (no tools, or tool_choice "none").
 * Validator errors (vLLM's ValueErrors) are pushed to `problems`; the model's field errors too.
 */
export function readToolRequest(body: JsonObject, problems: FieldProblem[]): ToolRequest | null {
  const hasChoice = body.tool_choice !== undefined;
  const rawTools = body.tools;
  if (!hasChoice && (rawTools === undefined || rawTools === null || (Array.isArray(rawTools) && rawTools.length === 0))) {
    if (rawTools !== undefined && rawTools !== null) readTools(rawTools, problems);
    return null;
  }
  const choice: unknown = hasChoice ? body.tool_choice : 'auto';
  if (choice === 'none') {
    // check_tool_usage returns early for "none", but pydantic still validates the tools (and they are rendered).
    if (rawTools !== undefined && rawTools !== null) readTools(rawTools, problems);
    return null;
  }
  const fail = (msg: string): null => {
    problems.push({ type: 'value_error', loc: ['body'], msg: `Value error, ${msg}`, input: body });
    return null;
  };
  if (rawTools === undefined || rawTools === null) return fail('When using `tool_choice`, `tools` must be set.');
  if (choice !== 'auto' && choice !== 'required' && !isObject(choice)) {
    // vLLM raises NotImplementedError inside the validator: not a validation error, so FastAPI answers 500.
    throw new SimulatorError(
      500,
      `Invalid value for \`tool_choice\`: ${String(choice)}! Only named tools, "none", "auto" or "required" are supported.`,
      'Internal Server Error',
    );
  }
  const tools = readTools(rawTools, problems);
  if (tools === null) return null;
  if (isObject(choice)) {
    const f = choice.function;
    if (!isObject(f)) return fail('Expected field `function` in `tool_choice`.' + USAGE);
    if (typeof f.name !== 'string' || f.name === '') return fail('Expected field `name` in `function` in `tool_choice`.' + USAGE.slice(1));
    if (!tools.some((t) => t.name === f.name)) return fail('The tool specified in `tool_choice` does not match any of the specified `tools`');
    return { tools, choice: { name: f.name } };
  }
  return { tools, choice };
}

/** vLLM's 400 for "auto" on a server started without --enable-auto-tool-choice --tool-call-parser (serving_chat.py). */
export const AUTO_TOOL_CHOICE_DISABLED = new SimulatorError(
  400,
  '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
);
