/** Ids in vLLM's formats. They are random, as vLLM's are: tests compare everything but ids. */
import { randomInt, randomUUID } from 'node:crypto';

/** A uuid4 as 32 hex digits, like vLLM's random_uuid() (Python's uuid4().hex). */
export function uuidHex(): string {
  const u = randomUUID();
  return u.slice(0, 8) + u.slice(9, 13) + u.slice(14, 18) + u.slice(19, 23) + u.slice(24);
}

/** vLLM's make_tool_call_id() (chat_utils.py), id_type "random": `chatcmpl-tool-<32 hex>`. */
export function toolCallId(): string {
  return `chatcmpl-tool-${uuidHex()}`;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** MistralToolCall.generate_random_id() (tool_parsers/mistral_tool_parser.py): 9 alphanumerics. */
export function mistralToolCallId(): string {
  let id = '';
  for (let i = 0; i < 9; i++) id += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return id;
}
