import fc from 'fast-check';
import {
  BOS_TOKEN_ID,
  CHAT_BOS_TOKENS,
  CHAT_GENERATION_PROMPT_TOKENS,
  CHAT_MESSAGE_OVERHEAD,
  countChatTokens,
  countPromptTokens,
  countTokens,
  decode,
  encode,
  encodeChat,
  encodePrompt,
  isValidTokenId,
  tokenPieces,
} from './tokenizer';

describe('tokenizer', () => {
  it('splits words in 4-character pieces, keeps a leading space with its word, and punctuation apart', () => {
    expect(tokenPieces('Hello, world!')).toEqual(['Hell', 'o', ',', ' worl', 'd', '!']);
    expect(tokenPieces('the cat sat')).toEqual(['the', ' cat', ' sat']);
    expect(tokenPieces('a  b\n\nc')).toEqual(['a', ' ', ' b', '\n\n', 'c']);
    expect(tokenPieces('naïve 日本')).toEqual(['na', 'ï', 've', ' ', '日', '本']);
  });

  it('counts roughly 4 characters per token on English prose', () => {
    const text =
      'The quick brown fox jumps over the lazy dog while the engine schedules requests and streams tokens to clients.';
    const ratio = text.length / countTokens(text);
    expect(ratio).toBeGreaterThan(2.5);
    expect(ratio).toBeLessThan(5.5);
  });

  it('round-trips any string through encode and decode', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        expect(decode(encode(s))).toBe(s);
        expect(tokenPieces(s).join('')).toBe(s);
        expect(countTokens(s)).toBe(encode(s).length);
        expect(encode(s).every(isValidTokenId)).toBe(true);
      }),
    );
  });

  it('adds BOS to completion prompts unless asked not to', () => {
    expect(encodePrompt('hi')[0]).toBe(BOS_TOKEN_ID);
    expect(encodePrompt('hi', false)).toEqual(encode('hi'));
    expect(countPromptTokens('hi there')).toBe(encode('hi there').length + 1);
    expect(decode(encodePrompt('hi'))).toBe('<s>hi');
  });

  it('costs a fixed template overhead per chat message', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello there' },
    ];
    const expected =
      CHAT_BOS_TOKENS +
      CHAT_GENERATION_PROMPT_TOKENS +
      messages.reduce((n, m) => n + CHAT_MESSAGE_OVERHEAD + countTokens(m.content), 0);
    expect(countChatTokens(messages)).toBe(expected);
    expect(encodeChat(messages)).toHaveLength(expected);
    expect(encodeChat(messages, false)).toHaveLength(expected - CHAT_GENERATION_PROMPT_TOKENS);
    expect(decode(encodeChat(messages))).toBe(
      '<s><|im_start|>system\nBe brief.<|im_end|><|im_start|>user\nHello there<|im_end|><|im_start|>assistant\n',
    );
  });

  it('decodes any valid id to some text without throwing', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { maxLength: 50 }), (ids) => {
        expect(typeof decode(ids)).toBe('string');
      }),
    );
    expect(isValidTokenId(-1)).toBe(false);
    expect(isValidTokenId(1.5)).toBe(false);
    expect(isValidTokenId(2 ** 31)).toBe(false);
  });
});
