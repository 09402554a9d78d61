/**
 * Timed, non-streaming chat completions against a service's OpenAI API (a model port, the
 * gateway, or vLLM itself), over one undici pool.
 */
import { Pool } from 'undici';

export interface ChatTarget {
  /** Base URL of the service, e.g. http://127.0.0.1:11400 (a trailing /v1 is accepted). */
  url: string;
  /** Sent as `model`: the served name works on a model port, the gateway and vLLM alike. */
  model: string;
  apiKey?: string;
  timeoutMs: number;
}

export interface ChatParams {
  maxTokens: number;
  temperature?: number;
}

export interface TimedAnswer {
  /** HTTP 200 with a non-empty `choices` list. */
  ok: boolean;
  status?: number;
  latencyMs: number;
  body?: unknown;
  error?: string;
}

/** Splits a base URL into the pool's origin and the path prefix of the API. */
export function apiBase(url: string): { origin: string; prefix: string } {
  const u = new URL(url);
  const prefix = u.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return { origin: u.origin, prefix };
}

export function isValidAnswer(body: unknown): boolean {
  const choices = (body as { choices?: unknown })?.choices;
  return Array.isArray(choices) && choices.length > 0;
}

export class ChatClient {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly target: ChatTarget,
    connections = 128,
  ) {
    const { origin, prefix } = apiBase(target.url);
    this.pool = new Pool(origin, { connections, headersTimeout: target.timeoutMs, bodyTimeout: target.timeoutMs, keepAliveTimeout: 10_000 });
    this.path = `${prefix}/v1/chat/completions`;
    this.headers = { 'content-type': 'application/json', ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}) };
  }

  async chat(prompt: string, params: ChatParams): Promise<TimedAnswer> {
    const body = JSON.stringify({
      model: this.target.model,
      messages: [{ role: 'user', content: prompt }],
      max_tokens: params.maxTokens,
      ...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
    });
    const started = performance.now();
    try {
      const res = await this.pool.request({ method: 'POST', path: this.path, headers: this.headers, body, signal: AbortSignal.timeout(this.target.timeoutMs) });
      const text = await res.body.text();
      const latencyMs = performance.now() - started;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return { ok: false, status: res.statusCode, latencyMs, error: 'the answer is not JSON' };
      }
      const ok = res.statusCode === 200 && isValidAnswer(parsed);
      const message = (parsed as { error?: { message?: string } })?.error?.message;
      return { ok, status: res.statusCode, latencyMs, body: parsed, ...(ok ? {} : { error: message ?? `HTTP ${res.statusCode}` }) };
    } catch (error) {
      return { ok: false, latencyMs: performance.now() - started, error: (error as Error).message || String(error) };
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
