/**
 * Reads an OpenAI server-sent-event stream as it arrives: complete `data:` payloads out of
 * arbitrarily cut chunks (parsed by eventsource-parser), and which of them carry generated text.
 * The benchmarks and the tests read streams with it; the gateway's own relay does not (it keeps
 * the engine's bytes: services/streaming/sse-event-splitter.ts).
 */
import { createParser, EventSourceMessage, EventSourceParser } from 'eventsource-parser';

export class SseDataReader {
  private readonly completed: EventSourceMessage[] = [];
  private readonly commentList: string[] = [];
  private readonly parser: EventSourceParser;

  constructor() {
    this.parser = createParser({ onEvent: (event) => this.completed.push(event), onComment: (comment) => this.commentList.push(comment) });
  }

  /** Feeds one chunk; returns the `data:` payloads of the events it completed. */
  push(chunk: string): string[] {
    return this.pushEvents(chunk).map((e) => e.data);
  }

  /** Feeds one chunk; returns the events it completed, with their `event:` and `id:` fields. */
  pushEvents(chunk: string): EventSourceMessage[] {
    this.parser.feed(chunk);
    return this.completed.splice(0);
  }

  /** The comment lines (`: ...`) read so far. */
  get comments(): readonly string[] {
    return this.commentList;
  }
}

/** The `data:` payloads of a whole SSE body, in order. */
export function sseDataOf(body: string): string[] {
  return new SseDataReader().push(body);
}

export type SseEventKind = 'content' | 'other' | 'done' | 'error';

/** What a chat or completion stream event is: generated text, the end, an error, or anything else. */
export function classifySseData(data: string): SseEventKind {
  if (data === '[DONE]') return 'done';
  let parsed: any;
  try {
    parsed = JSON.parse(data);
  } catch {
    return 'other';
  }
  if (parsed?.error) return 'error';
  const choice = Array.isArray(parsed?.choices) ? parsed.choices[0] : undefined;
  const text = choice?.delta?.content ?? choice?.text;
  return typeof text === 'string' && text !== '' ? 'content' : 'other';
}
