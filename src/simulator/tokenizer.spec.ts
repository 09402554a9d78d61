/**
 * The models' tokenizers. Expected ids are the models' own: Mistral-7B's "Hello world!" and "[INST]"
 * ids as mistral-tokenizer-js and Mistral's docs give them, Llama-2's as llama-tokenizer-js gives
 * them. Added-token handling (split, rstrip, BOS) is Hugging Face's fast tokenizer's, which vLLM uses
 * (vllm/transformers_utils/tokenizer.py loads AutoTokenizer; vllm/entrypoints/chat_utils.py renders
 * apply_chat_template(tokenize=False), then the chat path encodes with add_special_tokens=False).
 */
import fc from 'fast-check';
import llama from 'llama-tokenizer-js';
import mistral from 'mistral-tokenizer-js';
import { tokenizerFor } from './tokenizer';
import { FAMILIES, familyFor } from './tokenizers/families';

const mixtral = tokenizerFor({ servedName: 'mistralai/Mixtral-8x7B-Instruct-v0.1', id: 'mixtral-8x7b' });
const openchat = tokenizerFor({ servedName: 'openchat/openchat-3.5-0106', id: 'openchat-3.5' });
const phi3 = tokenizerFor({ servedName: 'microsoft/Phi-3-mini-4k-instruct', id: 'phi-3-mini' });
const yi = tokenizerFor({ servedName: '01-ai/Yi-34B-Chat', id: 'yi-34b' });

describe('model tokenizers', () => {
  it('each served model gets its family; unknown names the default', () => {
    expect(familyFor('mistralai/Mixtral-8x7B-Instruct-v0.1')).toBe(FAMILIES.mixtral);
    expect(familyFor('openchat/openchat-3.5-0106')).toBe(FAMILIES.openchat);
    expect(familyFor('microsoft/Phi-3-mini-4k-instruct')).toBe(FAMILIES.phi3);
    expect(familyFor('01-ai/Yi-34B-Chat')).toBe(FAMILIES.yi);
    expect(familyFor('org/test-model')).toBe(FAMILIES.default);
    expect(tokenizerFor({ servedName: 'x', id: 'y', tokenizer: 'phi3' })).toBe(phi3);
  });

  it("encodes with the vocabulary's own ids, BOS as the model's tokenizer_config says", () => {
    expect(mixtral.encode('Hello world!', true)).toEqual([1, 22557, 1526, 28808]);
    expect(openchat.encode('Hello world!', true)).toEqual([1, 22557, 1526, 28808]);
    // Phi-3: add_bos_token false; Llama-2's ids.
    expect(phi3.encode('Hello world!', true)).toEqual([15043, 3186, 29991]);
    expect(mixtral.encode('Hello world!', false)).toEqual([22557, 1526, 28808]);
  });

  it('cuts text at added tokens: their ids, a "▁" before each following piece, rstrip eating whitespace', () => {
    // "<s>[INST]" is the well-known [1, 733, 16289, 28793] in Mistral's vocabulary.
    expect(mixtral.encode('<s>[INST]', false)).toEqual([1, 733, 16289, 28793]);
    expect(openchat.encode('a<|end_of_turn|>', false)).toEqual([...mixtral.encode('a', false), 32000]);
    // Phi-3's <|user|> and <|end|> have rstrip: the newline after them belongs to them.
    expect(phi3.encode('<|user|>\nHi<|end|>\n<|assistant|>\n', false)).toEqual([32010, ...phi3.encode('Hi', false), 32007, 32001]);
  });

  it("renders each model's chat template", () => {
    const chat = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ];
    expect(mixtral.renderChat(chat, true)).toBe('<s> [INST] Be brief.\n\nHi [/INST]');
    expect(openchat.renderChat(chat, true)).toBe(
      '<s>GPT4 Correct System: Be brief.<|end_of_turn|>GPT4 Correct User: Hi<|end_of_turn|>GPT4 Correct Assistant:',
    );
    expect(phi3.renderChat(chat, true)).toBe('<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\n');
    expect(phi3.renderChat(chat, false)).toBe('<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|endoftext|>');
    expect(yi.renderChat(chat, true)).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    expect(mixtral.countChat(chat)).toBe(mixtral.encode(mixtral.renderChat(chat, true), false).length);
  });

  it("a template's raise_exception is vLLM's 400 with the message and ' None'", () => {
    expect(() => mixtral.renderChat([{ role: 'assistant', content: 'first' }], true)).toThrow(
      expect.objectContaining({
        status: 400,
        message: 'After the optional system message, conversation roles must alternate user/assistant/user/assistant/... None',
      }),
    );
    expect(() =>
      mixtral.renderChat(
        [
          { role: 'user', content: 'q' },
          { role: 'tool', content: 'r' },
        ],
        true,
      ),
    ).toThrow(expect.objectContaining({ status: 400 }));
  });

  it('decode is the inverse of encode, special tokens as their text, the leading space stripped', () => {
    for (const t of [mixtral, phi3]) {
      const text = 'Round trip: ünïcode, 🦙 and ASCII!\n  indented';
      expect(t.decode(t.encode(text, false))).toBe(text);
    }
    expect(mixtral.decode([1, 22557, 1526])).toBe('<s> Hello world');
    expect(mixtral.tokenString(22557)).toBe('▁Hello');
    expect(mixtral.isInVocabulary(31999)).toBe(true);
    expect(mixtral.isInVocabulary(32000)).toBe(false);
    expect(openchat.isInVocabulary(32001)).toBe(true);
  });

  it('pieces: one per token, joined they are the text', () => {
    for (const text of ['Hello world!', 'a 🦙 b', '\nx', '']) {
      const pieces = mixtral.pieces(text);
      expect(pieces.join('')).toBe(text);
      expect(pieces).toHaveLength(mixtral.count(text, false));
    }
  });

  it('word-by-word encoding (and its cache) gives exactly the library\'s ids of the whole text', () => {
    // It relies on this: no token has a "▁" after another character, so no merge crosses a word start.
    for (const lib of [mistral, llama]) expect(lib.vocabById.filter((t) => /[^\u2581]\u2581/.test(t))).toEqual([]);
    const text = fc.string({ unit: fc.constantFrom('a', 'b', 'th', 'e', ' ', '  ', '\n', '.', 'é', '🦙', '1'), maxLength: 60 });
    fc.assert(
      fc.property(text, (t) => {
        fc.pre(t.length > 0);
        expect(mixtral.encode(t, false)).toEqual(mistral.encode(t, false, true));
        expect(phi3.encode(t, false)).toEqual(llama.encode(t, false, true));
      }),
    );
  });

  it('a long run of one letter is counted by the BPE, not by characters/4', () => {
    const n = phi3.count('A'.repeat(30000), false);
    expect(n).toBe(phi3.encode('A'.repeat(30000), false).length);
    expect(n).not.toBe(7501);
  });
});
