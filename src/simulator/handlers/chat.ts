/** POST /v1/chat/completions */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChatChoicePlan, chatOutput } from '../chat-output';
import { assertJsonContentType, readBody } from '../http-util';
import { mix32 } from '../prng';
import { checkSampling, DEFAULT_MAX_LOGPROBS, parseChatRequest, parseJsonObject } from '../request-parser';
import { answeringModel, resolveEngine, SimContext } from '../sim-context';
import { constrainedText } from '../structured-output';
import { planChoice } from '../text-generator';
import type { ChatTurn } from '../tokenizer';
import { chatIdsWithTools } from '../tokenizers/tool-prompt';
import { planToolText } from '../tools/tool-output';
import { AUTO_TOOL_CHOICE_DISABLED } from '../tools/tool-request';
import { outputSeed, requestId, resolveFaults, resolveMaxTokens, runGeneration } from './generation';

/** What 'echo' mode repeats for a chat: the last user message (else the last message). */
function echoText(messages: readonly ChatTurn[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return messages[i].content;
  return messages.length > 0 ? messages[messages.length - 1].content : '';
}

export async function handleChat(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  assertJsonContentType(req);
  const body = parseJsonObject(await readBody(req));
  const r = parseChatRequest(body, ctx.features);
  const engine = resolveEngine(ctx, r.model);
  const model = engine.model;
  // serving_chat.py checks this right after the model, before the prompt is rendered.
  if (r.toolRequest?.choice === 'auto' && !(model.enableAutoToolChoice && model.toolCallParser)) throw AUTO_TOOL_CHOICE_DISABLED;
  const tokenizer = engine.tokenizer;
  // The tools are part of the prompt vLLM's chat template renders (tokenizers/tool-prompt.ts).
  const promptTokens = chatIdsWithTools(tokenizer, r.messages, true, false, body.tools).length;
  // vLLM's chat path appends the exception's cause (None) to context-length messages.
  const maxTokens = resolveMaxTokens(model, promptTokens, r.maxTokens, ' None');
  checkSampling(r, maxTokens, model.maxLogprobs ?? DEFAULT_MAX_LOGPROBS);
  const faults = resolveFaults(ctx, req);

  let key = '';
  for (const m of r.messages) key += `${m.role}\u0000${m.content}\u0000`;
  const seed = outputSeed(r.seed, key, ctx.seed);
  const params = {
    maxTokens,
    minTokens: r.minTokens,
    ignoreEos: r.ignoreEos,
    stop: r.stop,
    seed,
    mode: ctx.outputMode,
    echoSource: echoText(r.messages),
    leadingSpace: false,
    tokenPieces: (text: string) => tokenizer.pieces(text),
    eosText: tokenizer.family.eosToken,
  };
  const promptTexts = r.messages.map((m) => m.content);
  const lastRole = r.messages.length > 0 ? r.messages[r.messages.length - 1].role : null;
  const choices: ChatChoicePlan[] = Array.from({ length: r.n }, (_, i) => {
    const choiceSeed = mix32(seed, i);
    // A named or required tool choice constrains the output to the tools' schemas, over any response_format.
    const tools = r.toolRequest ? planToolText(r.toolRequest, choiceSeed, lastRole, params.tokenPieces) : null;
    if (tools) return { plan: planChoice(params, i, tools.pieces), tools };
    const fixed = r.constraint ? tokenizer.pieces(constrainedText(r.constraint, choiceSeed, promptTexts)) : undefined;
    return { plan: planChoice(params, i, fixed), tools: null };
  });

  const id = requestId(req, 'chatcmpl');
  const created = Math.floor(Date.now() / 1000);
  runGeneration(
    ctx,
    res,
    {
      kind: 'chat',
      id,
      created,
      engine,
      modelName: answeringModel(engine, r.model),
      promptTokens,
      choices: choices.map((c) => c.plan),
      output: chatOutput({ id, created, model: answeringModel(engine, r.model), promptTokens, choices, topLogprobs: r.logprobs, seed }),
      stream: r.stream,
      includeUsage: r.includeUsage,
      continuousUsage: r.continuousUsage,
    },
    faults,
  );
}
