/**
 * The simulator's tokenizers: each served model counts with its own vocabulary and chat template
 * (tokenizers/families.ts says which, and where the one approximation is). One ModelTokenizer per
 * family is shared by every engine that serves it, so its cache and its loaded tables are too.
 */
import { familyFor, FAMILIES, FamilyName } from './tokenizers/families';
import { ModelTokenizer } from './tokenizers/model-tokenizer';

export type { ChatTurn } from './tokenizers/model-tokenizer';
export { ModelTokenizer } from './tokenizers/model-tokenizer';

/** Largest id a request may carry before the model's own vocabulary check (shape check only). */
const MAX_TOKEN_ID = 2 ** 31 - 1;

export function isValidTokenId(id: unknown): id is number {
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= MAX_TOKEN_ID;
}

const shared = new Map<string, ModelTokenizer>();

/**
 * The tokenizer of a served model: `tokenizer` names a family explicitly, else the names decide;
 * `chatTemplate` (vLLM's `--chat-template`) replaces the family's own template.
 */
export function tokenizerFor(model: { servedName: string; id: string; tokenizer?: FamilyName; chatTemplate?: string }): ModelTokenizer {
  const family = model.tokenizer ? FAMILIES[model.tokenizer] : familyFor(model.servedName, model.id);
  const key = model.chatTemplate === undefined ? family.name : `${family.name}\u0000${model.chatTemplate}`;
  let t = shared.get(key);
  if (!t) {
    t = new ModelTokenizer(family, model.chatTemplate);
    shared.set(key, t);
  }
  return t;
}
