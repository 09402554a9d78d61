/** POST /v1/chat/completions */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertJsonContentType, readBody } from '../http-util';
import { checkSampling, parseChatRequest, parseJsonObject } from '../request-parser';
import { resolveEngine, SimContext } from '../sim-context';
import { planChoice } from '../text-generator';
import type { ChatTurn } from '../tokenizer';
import { outputSeed, requestId, resolveFaults, resolveMaxTokens, runGeneration } from './generation';

/** What 'echo' mode repeats for a chat: the last user message (else the last message). */
function echoText(messages: readonly ChatTurn[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return messages[i].content;
  return messages.length > 0 ? messages[messages.length - 1].content : '';
}

export async function handleChat(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  assertJsonContentType(req);
  const body = parseJsonObject(await readBody(req));
  const r = parseChatRequest(body);
  const engine = resolveEngine(ctx, r.model);
  const promptTokens = engine.tokenizer.countChat(r.messages);
  // vLLM's chat path appends the exception's cause (None) to context-length messages.
  const maxTokens = resolveMaxTokens(engine.model, promptTokens, r.maxTokens, ' None');
  checkSampling(r, maxTokens);
  const faults = resolveFaults(ctx, req);

  let key = '';
  for (const m of r.messages) key += `${m.role}\u0000${m.content}\u0000`;
  const params = {
    maxTokens,
    minTokens: r.minTokens,
    ignoreEos: r.ignoreEos,
    stop: r.stop,
    seed: outputSeed(r.seed, key, ctx.seed),
    mode: ctx.outputMode,
    echoSource: echoText(r.messages),
    leadingSpace: false,
    tokenPieces: (text: string) => engine.tokenizer.pieces(text),
  };
  const choices = Array.from({ length: r.n }, (_, i) => planChoice(params, i));

  runGeneration(
    ctx,
    res,
    {
      kind: 'chat',
      id: requestId(req, 'chatcmpl'),
      created: Math.floor(Date.now() / 1000),
      engine,
      promptTokens,
      choices,
      echoPrefixes: null,
      stream: r.stream,
      includeUsage: r.includeUsage,
      continuousUsage: r.continuousUsage,
    },
    faults,
  );
}
