/** POST /v1/completions */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { completionOutput } from '../completion-output';
import { assertJsonContentType, readBody } from '../http-util';
import { mix32 } from '../prng';
import { checkSampling, DEFAULT_MAX_LOGPROBS, parseCompletionRequest, parseJsonObject } from '../request-parser';
import { answeringModel, resolveEngine, SimContext } from '../sim-context';
import { constrainedText } from '../structured-output';
import { ChoicePlan, planChoice } from '../text-generator';
import { SimulatorError } from '../errors';
import { outputSeed, requestId, resolveFaults, resolveMaxTokens, runGeneration } from './generation';

export async function handleCompletions(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  assertJsonContentType(req);
  const body = parseJsonObject(await readBody(req));
  const r = parseCompletionRequest(body, ctx.features);
  const engine = resolveEngine(ctx, r.model);

  // Each prompt is checked on its own, as vLLM does; the first failure answers.
  const tokenizer = engine.tokenizer;
  const prompts = r.prompts.map((p) => {
    const outside = p.tokenIds?.find((id) => !tokenizer.isInVocabulary(id));
    if (outside !== undefined) throw new SimulatorError(400, `Token id ${outside} is out of vocabulary`, 'BadRequestError');
    const text = p.text ?? tokenizer.decode(p.tokenIds ?? []);
    const tokens = p.tokenIds ? p.tokenIds.length : tokenizer.count(text, true);
    const maxTokens = resolveMaxTokens(engine.model, tokens, r.maxTokens, '');
    return { text, tokenIds: p.tokenIds, tokens, maxTokens, key: p.text ?? (p.tokenIds ?? []).join(',') };
  });
  for (const p of prompts) checkSampling(r, p.maxTokens, engine.model.maxLogprobs ?? DEFAULT_MAX_LOGPROBS);
  const faults = resolveFaults(ctx, req);

  const choices: ChoicePlan[] = [];
  const echo: Array<{ text: string; tokens: string[] }> | null = r.echo ? [] : null;
  let promptTokens = 0;
  const seed = outputSeed(r.seed, prompts.map((p) => p.key).join('\u0000'), ctx.seed);
  prompts.forEach((p, promptIndex) => {
    promptTokens += p.tokens;
    const promptSeed = outputSeed(r.seed, p.key, ctx.seed);
    for (let i = 0; i < r.n; i++) {
      const params = {
        maxTokens: p.maxTokens,
        minTokens: r.minTokens,
        ignoreEos: r.ignoreEos,
        stop: r.stop,
        seed: promptSeed,
        mode: ctx.outputMode,
        echoSource: p.text,
        leadingSpace: true,
        tokenPieces: (text: string) => tokenizer.pieces(text),
        eosText: tokenizer.family.eosToken,
      };
      const index = promptIndex * r.n + i;
      const fixed = r.constraint ? tokenizer.pieces(constrainedText(r.constraint, mix32(promptSeed, index), [p.text])) : undefined;
      choices.push(planChoice(params, index, fixed));
      echo?.push({ text: p.text, tokens: (p.tokenIds ?? tokenizer.encode(p.text, true)).map((t) => tokenizer.tokenText(t)) });
    }
  });

  const id = requestId(req, 'cmpl');
  const created = Math.floor(Date.now() / 1000);
  runGeneration(
    ctx,
    res,
    {
      kind: 'completion',
      id,
      created,
      engine,
      modelName: answeringModel(engine, r.model),
      promptTokens,
      choices,
      output: completionOutput({ id, created, model: answeringModel(engine, r.model), promptTokens, choices, echo, logprobs: r.logprobs, seed }),
      stream: r.stream,
      includeUsage: r.includeUsage,
      continuousUsage: r.continuousUsage,
    },
    faults,
  );
}
