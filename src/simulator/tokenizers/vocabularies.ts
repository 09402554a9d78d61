/**
 * The two SentencePiece BPE vocabularies the four models use, from npm packages that ship them
 * (nothing is downloaded): mistral-tokenizer-js (Mistral-7B's 32000 tokens and merges) and
 * llama-tokenizer-js (Llama-2's). Both packages are ES modules loaded with require(esm) on first use,
 * so a simulator that never tokenizes pays nothing; each decodes its tables once (~100 ms).
 */
import type { BaseVocabulary } from './families';

/** What both packages export (they share one implementation). */
export interface SentencePieceBpe {
  /** Ids of text; the flags add BOS (id 1) and SentencePiece's leading "▁". */
  encode(text: string, addBosToken?: boolean, addPrecedingSpace?: boolean): number[] | undefined;
  /** Token strings by id ("▁the", "<0x0A>", "<s>", …). */
  vocabById: string[];
}

const loaded = new Map<BaseVocabulary, SentencePieceBpe>();

export function loadVocabulary(name: BaseVocabulary): SentencePieceBpe {
  let v = loaded.get(name);
  if (!v) {
    /* eslint-disable @typescript-eslint/no-require-imports -- ES-module packages, loaded lazily */
    const mod = (name === 'mistral-7b' ? require('mistral-tokenizer-js') : require('llama-tokenizer-js')) as {
      default: SentencePieceBpe;
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
    v = mod.default;
    loaded.set(name, v);
  }
  return v;
}
