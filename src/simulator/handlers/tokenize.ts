/** POST /tokenize and POST /detokenize, vLLM's shapes. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertJsonContentType, readBody, sendJson } from '../http-util';
import { parseDetokenizeRequest, parseJsonObject, parseTokenizeRequest } from '../request-parser';
import { resolveEngine, SimContext } from '../sim-context';
import { BOS_TOKEN_ID, decode, decodeToken, encodeChat, encodePrompt } from '../tokenizer';

export async function handleTokenize(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  assertJsonContentType(req);
  const r = parseTokenizeRequest(parseJsonObject(await readBody(req)));
  const engine = resolveEngine(ctx, r.model);
  let tokens: number[];
  if (r.messages) {
    tokens = encodeChat(r.messages, r.addGenerationPrompt);
    // The template already starts with BOS; add_special_tokens would add a second one.
    if (r.addSpecialTokens) tokens.unshift(BOS_TOKEN_ID);
  } else {
    tokens = encodePrompt(r.prompt?.text ?? '', r.addSpecialTokens);
  }
  sendJson(
    res,
    200,
    JSON.stringify({
      count: tokens.length,
      max_model_len: engine.model.maxModelLen,
      tokens,
      token_strs: r.returnTokenStrs ? tokens.map(decodeToken) : null,
    }),
  );
}

export async function handleDetokenize(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  assertJsonContentType(req);
  const r = parseDetokenizeRequest(parseJsonObject(await readBody(req)));
  resolveEngine(ctx, r.model);
  sendJson(res, 200, JSON.stringify({ prompt: decode(r.tokens) }));
}
