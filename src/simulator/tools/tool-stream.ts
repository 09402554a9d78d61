/**
 * Streamed tool calls in vLLM 0.11's shape (serving_chat.py `chat_completion_stream_generator`,
 * chunks serialised with exclude_unset):
 * - named tool_choice: every token is a delta of call `index` = the choice's index; the first
 *   carries `id`, `type`, `function.name` and the first argument text, the others
 *   `function.arguments` only;
 * - "required" (`extract_tool_call_required_streaming`): nothing until a call's arguments begin;
 *   then `id`, `type`, `index` (the call's place in the list), `function.name` and the arguments so
 *   far, later `{"name": null, "arguments": …}` fragments; the list's own brackets send nothing;
 * - "auto" with the mistral parser: `[TOOL_CALLS]` and the JSON around the calls send nothing;
 *   a call's first delta carries `id` (9 alphanumerics), `type`, `index` and `function.name`,
 *   then its argument text arrives in fragments.
 * Joined per index, the fragments are the arguments the non-streaming answer returns. A choice that
 * streamed a call finishes with "tool_calls".
 */
import { mistralToolCallId, toolCallId } from '../ids';
import type { ToolPlan } from './tool-output';

export class ToolDeltaStream {
  private readonly started: boolean[];
  /** True once a tool-call delta was sent (the choice then finishes with "tool_calls"). */
  streamed = false;

  constructor(
    private readonly plan: ToolPlan,
    private readonly choiceIndex: number,
  ) {
    this.started = plan.calls.map(() => false);
  }

  /** The `delta` JSON for a token whose text is plan.text[start, end), or null when vLLM sends no chunk for it. */
  delta(start: number, end: number): string | null {
    const { plan } = this;
    if (plan.mode === 'named') {
      const args = JSON.stringify(plan.text.slice(start, end));
      this.streamed = true;
      if (this.started[0]) return `{"tool_calls":[{"index":${this.choiceIndex},"function":{"arguments":${args}}}]}`;
      this.started[0] = true;
      return `{"tool_calls":[{"id":"${toolCallId()}","type":"function","index":${this.choiceIndex},"function":{"name":${JSON.stringify(plan.calls[0].name)},"arguments":${args}}}]}`;
    }
    const parts: string[] = [];
    plan.calls.forEach((c, k) => {
      const from = Math.max(start, c.argsStart);
      const to = Math.min(end, c.argsEnd);
      const args = to > from ? plan.text.slice(from, to) : null;
      const name = JSON.stringify(c.name);
      if (plan.mode === 'required') {
        if (args === null) return;
        if (!this.started[k]) {
          this.started[k] = true;
          parts.push(`{"id":"${toolCallId()}","type":"function","index":${k},"function":{"name":${name},"arguments":${JSON.stringify(args)}}}`);
        } else {
          parts.push(`{"index":${k},"function":{"name":null,"arguments":${JSON.stringify(args)}}}`);
        }
        return;
      }
      if (!this.started[k] && start < c.nameEnd && end >= c.nameEnd) {
        this.started[k] = true;
        parts.push(`{"id":"${mistralToolCallId()}","type":"function","index":${k},"function":{"name":${name}}}`);
      }
      if (args !== null) parts.push(`{"index":${k},"function":{"arguments":${JSON.stringify(args)}}}`);
    });
    if (parts.length === 0) return null;
    this.streamed = true;
    return `{"tool_calls":[${parts.join(',')}]}`;
  }
}
