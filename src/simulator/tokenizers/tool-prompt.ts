/**
 * HEURISTIC: the prompt tokens a request's tool definitions add.
 *
 * vLLM passes the request's tools to the chat template (serving_chat.py: `tool_dicts =
 * [tool.model_dump() for tool in request.tools]`, also with tool_choice "none" unless the server
 * runs with --exclude-tools-when-tool-choice-none, which is off by default), and a tool-aware template
 * writes them into the prompt, so `usage.prompt_tokens` and the max_model_len check grow with them.
 * The simulator's chat templates (chat-templates.ts) do not render tools, so the simulator counts
 * them as one block in the form of vLLM's Mistral tool templates
 * (examples/tool_chat_template_mistral*.jinja):
 * `[AVAILABLE_TOOLS] ` + the dumped tools as JSON + `[/AVAILABLE_TOOLS]`, encoded with the model's
 * tokenizer without special tokens. For Mixtral served with such a template the count is close to
 * vLLM's; for the other models it is the size of the tools' JSON plus a few marker tokens, where a
 * real template would add its own wording around them, or nothing when it ignores `tools`.
 */
import { pyJsonDumps } from '../py-json';
import type { ChatTurn, ModelTokenizer } from './model-tokenizer';

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A tool as pydantic's model_dump() of ChatCompletionToolsParam writes it (vLLM 0.11 protocol.py):
 * `type`, then `function` with FunctionDefinition's fields (`name`, `description`, `parameters`,
 * None when absent) followed by any extra keys the client sent (OpenAIBaseModel keeps them).
 */
export function dumpedTool(t: unknown): unknown {
  if (!isObject(t) || !isObject(t.function)) return t;
  const { name, description, parameters, ...extra } = t.function;
  return { type: t.type ?? 'function', function: { name, description: description ?? null, parameters: parameters ?? null, ...extra } };
}

/** The tools block's text, or '' when the request has no tools. */
export function toolsPromptText(tools: unknown): string {
  if (!Array.isArray(tools) || tools.length === 0) return '';
  return `[AVAILABLE_TOOLS] ${pyJsonDumps(tools.map(dumpedTool))}[/AVAILABLE_TOOLS]`;
}

/** Token ids of the tools block (none without tools). */
export function toolPromptIds(tokenizer: ModelTokenizer, tools: unknown): number[] {
  const text = toolsPromptText(tools);
  return text === '' ? [] : tokenizer.encode(text, false);
}

/** Prompt ids with the tools block placed after a leading BOS (where a template would start writing). */
export function withToolIds(tokenizer: ModelTokenizer, ids: readonly number[], toolIds: readonly number[]): number[] {
  if (toolIds.length === 0) return [...ids];
  const at = ids.length > 0 && tokenizer.tokenString(ids[0]) === tokenizer.family.bosToken ? 1 : 0;
  return [...ids.slice(0, at), ...toolIds, ...ids.slice(at)];
}

/**
 * A chat prompt's ids with the request's tools. A configured template (vLLM's --chat-template,
 * e.g. Mixtral's tool template) gets the tools as vLLM hands them to it (model_dump()) and renders
 * them itself: counted exactly. The models' own templates here render no tools, so the HEURISTIC
 * block above is placed after the BOS instead.
 */
export function chatIdsWithTools(tokenizer: ModelTokenizer, messages: readonly ChatTurn[], addGenerationPrompt: boolean, addSpecialTokens: boolean, tools: unknown): number[] {
  if (tokenizer.hasConfiguredTemplate) {
    const dumped = Array.isArray(tools) && tools.length > 0 ? tools.map(dumpedTool) : undefined;
    return tokenizer.encode(tokenizer.renderChat(messages, addGenerationPrompt, dumped), addSpecialTokens);
  }
  return withToolIds(tokenizer, tokenizer.encode(tokenizer.renderChat(messages, addGenerationPrompt), addSpecialTokens), toolPromptIds(tokenizer, tools));
}
