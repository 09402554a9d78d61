/**
 * Token counts straight from the tokenizer libraries (mistral-tokenizer-js, llama-tokenizer-js) and
 * the chat template rendered straight by @huggingface/jinja: the oracle the simulator's usage is
 * checked against. Kept apart from src/simulator/tokenizers on purpose (no shared code).
 */
import { Template } from '@huggingface/jinja';
import llama from 'llama-tokenizer-js';
import mistral from 'mistral-tokenizer-js';
import { FAMILIES, FamilyName } from '../../src/simulator/tokenizers/families';

interface Lib {
  encode(text: string, addBos?: boolean, addPrecedingSpace?: boolean): number[];
}

function lib(family: FamilyName): Lib {
  return (FAMILIES[family].vocabulary === 'mistral-7b' ? mistral : llama) as unknown as Lib;
}

/** A completion prompt without added-token text: BOS (if the model adds it) + the library's ids. */
export function libraryPromptCount(family: FamilyName, text: string): number {
  return (FAMILIES[family].addBosToken ? 1 : 0) + lib(family).encode(text, false, true).length;
}

/** The chat template rendered by jinja, cut at the added tokens (rstrip honoured), each piece counted by the library. */
export function libraryChatCount(family: FamilyName, messages: Array<{ role: string; content: string }>): number {
  const f = FAMILIES[family];
  const text = new Template(f.chatTemplate.template).render({
    messages,
    bos_token: f.bosToken,
    eos_token: f.eosToken,
    add_generation_prompt: true,
  });
  let count = 0;
  let rest = text;
  while (rest.length > 0) {
    let first: { at: number; content: string; rstrip: boolean } | null = null;
    for (const t of f.addedTokens) {
      const at = rest.indexOf(t.content);
      if (at !== -1 && (first === null || at < first.at)) first = { at, content: t.content, rstrip: t.rstrip };
    }
    const piece = first ? rest.slice(0, first.at) : rest;
    if (piece.length > 0) count += lib(family).encode(piece, false, true).length;
    if (!first) break;
    count += 1;
    rest = rest.slice(first.at + first.content.length);
    if (first.rstrip) rest = rest.trimStart();
  }
  return count;
}
