/** POST /tokenize and POST /detokenize, vLLM's shapes, with the model's own tokenizer and chat template. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimulatorError } from '../errors';
import { assertJsonContentType, readBody, sendJson } from '../http-util';
import { parseDetokenizeRequest, parseJsonObject, parseTokenizeRequest } from '../request-parser';
import { resolveEngine, SimContext } from '../sim-context';
import { chatIdsWithTools } from '../tokenizers/tool-prompt';

export async function handleTokenize(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  assertJsonContentType(req);
  const body = parseJsonObject(await readBody(req));
  const r = parseTokenizeRequest(body);
  const engine = resolveEngine(ctx, r.model);
  const tokenizer = engine.tokenizer;
  // vLLM renders messages with the chat template, then encodes the text with the request's
  // add_special_tokens (default false for messages: the template already has BOS where the model wants it).
  // Its TokenizeChatRequest takes `tools` too, rendered by the template (tokenizers/tool-prompt.ts).
  const tokens = r.messages
    ? chatIdsWithTools(tokenizer, r.messages, r.addGenerationPrompt, r.addSpecialTokens, body.tools)
    : tokenizer.encode(r.prompt?.text ?? '', r.addSpecialTokens);
  sendJson(
    res,
    200,
    JSON.stringify({
      count: tokens.length,
      max_model_len: engine.model.maxModelLen,
      tokens,
      token_strs: r.returnTokenStrs ? tokens.map((id) => tokenizer.tokenString(id)) : null,
    }),
  );
}

export async function handleDetokenize(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  assertJsonContentType(req);
  const r = parseDetokenizeRequest(parseJsonObject(await readBody(req)));
  const tokenizer = resolveEngine(ctx, r.model).tokenizer;
  const outside = r.tokens.find((id) => !tokenizer.isInVocabulary(id));
  if (outside !== undefined) throw new SimulatorError(400, `Token id ${outside} is out of vocabulary`, 'BadRequestError');
  sendJson(res, 200, JSON.stringify({ prompt: tokenizer.decode(r.tokens) }));
}
