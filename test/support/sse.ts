import { sseDataOf } from '../../src/bench/sse-reader';

/** Reads an SSE response body into its `data:` payloads (as strings), in order. */
export async function readSse(response: Response): Promise<string[]> {
  return sseDataOf(await response.text());
}
