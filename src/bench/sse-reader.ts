/**
 * Reads an OpenAI server-sent-event stream as it arrives: complete `data:` payloads out of
 * arbitrarily cut chunks, and which of them carry generated text.
 */

export class SseDataReader {
  private buffer = '';

  /** Feeds one chunk; returns the `data:` payloads of the events it completed. */
  push(chunk: string): string[] {
    this.buffer = (this.buffer + chunk).replace(/\r\n/g, '\n');
    const out: string[] = [];
    let end = this.buffer.indexOf('\n\n');
    while (end !== -1) {
      const event = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data !== '') out.push(data);
      end = this.buffer.indexOf('\n\n');
    }
    return out;
  }
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
