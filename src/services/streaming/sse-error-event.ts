/**
 * The in-band error that ends a failed stream, as vLLM sends it. The OpenAI SDK raises on it;
 * a bare close would read as a complete (silently truncated) answer.
 */
export function sseErrorEvent(message: string, type: string, code: number): Buffer {
  return Buffer.from(`data: ${JSON.stringify({ error: { message, type, param: null, code } })}\n\ndata: [DONE]\n\n`);
}
