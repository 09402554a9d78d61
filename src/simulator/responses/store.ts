/**
 * vLLM's in-memory Responses API store (vllm/entrypoints/openai/serving_responses.py: response_store,
 * msg_store). Off by default, as in vLLM, where VLLM_ENABLE_RESPONSES_API_STORE=1 turns it on; then,
 * like vLLM's, it never forgets anything (vLLM's own FIXME: a memory leak by design).
 */
import type { ChatTurn } from '../tokenizer';

export type ResponseStatus = 'queued' | 'in_progress' | 'completed' | 'incomplete' | 'cancelled' | 'failed';

/** A response object as vLLM serialises it, plus what the simulator needs to continue or cancel it. */
export interface StoredResponse {
  body: Record<string, unknown> & { id: string; status: ResponseStatus };
  /** Aborts a background request still generating. */
  cancel: (() => void) | null;
}

export class ResponseStore {
  private readonly responses = new Map<string, StoredResponse>();
  private readonly messages = new Map<string, ChatTurn[]>();

  constructor(readonly enabled: boolean) {}

  get(id: string): StoredResponse | undefined {
    return this.responses.get(id);
  }

  put(entry: StoredResponse): void {
    this.responses.set(entry.body.id, entry);
  }

  /** The input messages of a stored response (instructions, history and input, as sent to the template). */
  messagesOf(id: string): ChatTurn[] {
    return this.messages.get(id) ?? [];
  }

  putMessages(id: string, messages: ChatTurn[]): void {
    this.messages.set(id, messages);
  }
}
