/** POST /v1/completions */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertJsonContentType, readBody } from '../http-util';
import { checkSampling, parseCompletionRequest, parseJsonObject } from '../request-parser';
import { resolveEngine, SimContext } from '../sim-context';
import { ChoicePlan, planChoice } from '../text-generator';
import { ApiError } from '../errors';
import { outputSeed, requestId, resolveFaults, resolveMaxTokens, runGeneration } from './generation';

export async function handleCompletions(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  assertJsonContentType(req);
  const body = parseJsonObject(await readBody(req));
  const r = parseCompletionRequest(body);
  const engine = resolveEngine(ctx, r.model);

  // Each prompt is checked on its own, as vLLM does; the first failure answers.
  const tokenizer = engine.tokenizer;
  const prompts = r.prompts.map((p) => {
    const outside = p.tokenIds?.find((id) => !tokenizer.isInVocabulary(id));
    if (outside !== undefined) throw new ApiError(400, `Token id ${outside} is out of vocabulary`, 'BadRequestError');
    const text = p.text ?? tokenizer.decode(p.tokenIds ?? []);
    const tokens = p.tokenIds ? p.tokenIds.length : tokenizer.count(text, true);
    const maxTokens = resolveMaxTokens(engine.model, tokens, r.maxTokens, '');
    return { text, tokens, maxTokens, key: p.text ?? (p.tokenIds ?? []).join(',') };
  });
  for (const p of prompts) checkSampling(r, p.maxTokens);
  const faults = resolveFaults(ctx, req);

  const choices: ChoicePlan[] = [];
  const echoPrefixes: string[] | null = r.echo ? [] : null;
  let promptTokens = 0;
  prompts.forEach((p, promptIndex) => {
    promptTokens += p.tokens;
    const seed = outputSeed(r.seed, p.key, ctx.seed);
    for (let i = 0; i < r.n; i++) {
      const params = {
        maxTokens: p.maxTokens,
        minTokens: r.minTokens,
        ignoreEos: r.ignoreEos,
        stop: r.stop,
        seed,
        mode: ctx.outputMode,
        echoSource: p.text,
        leadingSpace: true,
        tokenPieces: (text: string) => tokenizer.pieces(text),
      };
      choices.push(planChoice(params, promptIndex * r.n + i));
      echoPrefixes?.push(p.text);
    }
  });

  runGeneration(
    ctx,
    res,
    {
      kind: 'completion',
      id: requestId(req, 'cmpl'),
      created: Math.floor(Date.now() / 1000),
      engine,
      promptTokens,
      choices,
      echoPrefixes,
      stream: r.stream,
      includeUsage: r.includeUsage,
      continuousUsage: r.continuousUsage,
    },
    faults,
  );
}
