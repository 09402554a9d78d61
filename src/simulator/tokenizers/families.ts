/**
 * What each served model's tokenizer is made of: the base SentencePiece vocabulary, the added
 * tokens of its tokenizer_config.json (with their lstrip/rstrip flags, which decide how text around
 * them is cut), its BOS/EOS and whether encoding adds BOS, and its chat template (chat-templates.ts).
 *
 * Sources (the models' tokenizer_config.json / tokenizer.json on the Hugging Face hub):
 * - mistralai/Mixtral-8x7B-Instruct-v0.1: Mistral-7B's 32000-token vocabulary, <unk> <s> </s>,
 *   add_bos_token true.
 * - openchat/openchat-3.5-0106: the same vocabulary plus <|end_of_turn|> (32000) and <|pad_0|>
 *   (32001); eos_token <|end_of_turn|>.
 * - microsoft/Phi-3-mini-4k-instruct: Llama-2's vocabulary plus 32000-32010 (<|endoftext|>,
 *   <|assistant|>, <|placeholder1..4|>, <|system|>, <|end|>, <|placeholder5..6|>, <|user|>), all but
 *   <|endoftext|> with rstrip true; add_bos_token false; eos_token <|endoftext|>.
 * - 01-ai/Yi-34B-Chat: APPROXIMATION (a heuristic). Yi has its own 64000-token vocabulary, which no
 *   npm package ships; its counts here come from Llama-2's vocabulary (the closest shipped
 *   SentencePiece BPE) with Yi's chat markers added as special tokens at ids 32000+ (in Yi they are
 *   6, 7, 8). Measured error (shisa-ai/shisa-v2 eval/tokenizer-efficiency, 50,000 CulturaX
 *   documents): about 8% too many tokens on English (4.19 vs 3.86 characters a token), about 6% too
 *   few on Japanese (0.83 vs 0.88); Chinese unmeasured, far too many (Llama-2 falls back to bytes).
 * - any other served name: Mistral-7B's vocabulary and the simulator's own ChatML template (every
 *   role accepted), so tests can use made-up model names.
 */
import { CHATML_DEFAULT, MIXTRAL_INSTRUCT, OPENCHAT_35_0106, PHI3_MINI_4K_INSTRUCT, YI_34B_CHAT, type ChatTemplateSource } from './chat-templates';

export type BaseVocabulary = 'mistral-7b' | 'llama-2';

export interface AddedToken {
  id: number;
  content: string;
  /** Whitespace right of the token is absorbed into it (HF AddedToken.rstrip). */
  rstrip: boolean;
  /** Whitespace left of the token is absorbed into it (HF AddedToken.lstrip). */
  lstrip: boolean;
}

export interface TokenizerFamily {
  name: string;
  vocabulary: BaseVocabulary;
  addedTokens: readonly AddedToken[];
  bosToken: string;
  eosToken: string;
  /** tokenizer_config add_bos_token: BOS in front when add_special_tokens is true. */
  addBosToken: boolean;
  chatTemplate: ChatTemplateSource;
  /** Set when counts are not the model's own tokenizer's. */
  approximation: string | null;
}

const plain = (id: number, content: string, rstrip = false): AddedToken => ({ id, content, rstrip, lstrip: false });

const SENTENCEPIECE_SPECIALS = [plain(0, '<unk>'), plain(1, '<s>'), plain(2, '</s>')];

export const FAMILIES = {
  mixtral: {
    name: 'mixtral',
    vocabulary: 'mistral-7b',
    addedTokens: SENTENCEPIECE_SPECIALS,
    bosToken: '<s>',
    eosToken: '</s>',
    addBosToken: true,
    chatTemplate: MIXTRAL_INSTRUCT,
    approximation: null,
  },
  openchat: {
    name: 'openchat',
    vocabulary: 'mistral-7b',
    addedTokens: [...SENTENCEPIECE_SPECIALS, plain(32000, '<|end_of_turn|>'), plain(32001, '<|pad_0|>')],
    bosToken: '<s>',
    eosToken: '<|end_of_turn|>',
    addBosToken: true,
    chatTemplate: OPENCHAT_35_0106,
    approximation: null,
  },
  phi3: {
    name: 'phi3',
    vocabulary: 'llama-2',
    addedTokens: [
      plain(0, '<unk>'),
      plain(1, '<s>'),
      plain(2, '</s>', true),
      plain(32000, '<|endoftext|>'),
      plain(32001, '<|assistant|>', true),
      plain(32002, '<|placeholder1|>', true),
      plain(32003, '<|placeholder2|>', true),
      plain(32004, '<|placeholder3|>', true),
      plain(32005, '<|placeholder4|>', true),
      plain(32006, '<|system|>', true),
      plain(32007, '<|end|>', true),
      plain(32008, '<|placeholder5|>', true),
      plain(32009, '<|placeholder6|>', true),
      plain(32010, '<|user|>', true),
    ],
    bosToken: '<s>',
    eosToken: '<|endoftext|>',
    addBosToken: false,
    chatTemplate: PHI3_MINI_4K_INSTRUCT,
    approximation: null,
  },
  yi: {
    name: 'yi',
    vocabulary: 'llama-2',
    addedTokens: [
      plain(0, '<unk>'),
      plain(1, '<|startoftext|>'),
      plain(2, '<|endoftext|>'),
      plain(32000, '<|im_start|>'),
      plain(32001, '<|im_end|>'),
      plain(32002, '<|im_sep|>'),
    ],
    bosToken: '<|startoftext|>',
    eosToken: '<|endoftext|>',
    addBosToken: false,
    chatTemplate: YI_34B_CHAT,
    approximation: "Llama-2's vocabulary stands in for Yi's own 64000-token one (no npm package ships it)",
  },
  default: {
    name: 'default',
    vocabulary: 'mistral-7b',
    addedTokens: [...SENTENCEPIECE_SPECIALS, plain(32000, '<|im_start|>'), plain(32001, '<|im_end|>')],
    bosToken: '<s>',
    eosToken: '</s>',
    addBosToken: true,
    chatTemplate: CHATML_DEFAULT,
    approximation: 'not a real model: Mistral-7B vocabulary with the simulator’s ChatML template',
  },
} satisfies Record<string, TokenizerFamily>;

export type FamilyName = keyof typeof FAMILIES;

/** The family of a served model, from its name (HF repo id or our id). */
export function familyFor(servedName: string, id = ''): TokenizerFamily {
  const name = `${servedName} ${id}`.toLowerCase();
  if (name.includes('mixtral') || name.includes('mistral')) return FAMILIES.mixtral;
  if (name.includes('openchat')) return FAMILIES.openchat;
  if (name.includes('phi-3') || name.includes('phi3')) return FAMILIES.phi3;
  if (/\byi[-_]/.test(name) || name.includes('01-ai/')) return FAMILIES.yi;
  return FAMILIES.default;
}
