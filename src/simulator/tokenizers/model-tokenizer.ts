/**
 * One model's tokenizer as vLLM uses it through Hugging Face's fast tokenizer:
 * - text is first cut at the model's added tokens ("<s>", "<|user|>", …), which map to their ids
 *   (honouring each token's lstrip/rstrip); every piece of text between them goes through the
 *   SentencePiece BPE with a "▁" prepended (the Llama/Mistral tokenizer.json normaliser, applied per
 *   piece: that is why "<s>[INST]" gives ▁[ INST ] in Mistral's vocabulary);
 * - add_special_tokens puts BOS in front when the model's tokenizer_config says add_bos_token;
 * - chat prompts are the model's chat template rendered with @huggingface/jinja, then encoded with
 *   add_special_tokens=false, as vLLM's chat path does;
 * - decode is convert_ids_to_tokens joined with "▁" as a space, byte tokens fused as UTF-8, and the
 *   one leading space the normaliser added stripped (the tokenizer.json decoder chain).
 *
 * The library's BPE costs ~10 µs a token, so words are encoded once and their ids kept in a bounded
 * cache (see encodePiece).
 */
import { Template } from '@huggingface/jinja';
import { SimulatorError } from '../errors';
import type { TokenizerFamily } from './families';
import { loadVocabulary, SentencePieceBpe } from './vocabularies';

export interface ChatTurn {
  role: string;
  content: string;
  /** An assistant turn's `tool_calls`, as the request sent them (rendered by tool-aware templates). */
  toolCalls?: readonly unknown[];
  /** A tool turn's `tool_call_id`. */
  toolCallId?: string;
}

const CACHE_ENTRIES = 65536;
const PIECE_CACHE_ENTRIES = 512;
/** Splits before a "▁" that follows another character: where SentencePiece words start. */
const WORD_START = /(?<=[^\u2581])(?=\u2581)/u;
const SPACE_MARK = '\u2581';
const BYTE_TOKEN = /^<0x([0-9A-F]{2})>$/;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class ModelTokenizer {
  private bpe: SentencePieceBpe | null = null;
  private template: Template | null = null;
  private readonly cache = new Map<string, readonly number[]>();
  private readonly pieceCache = new Map<string, readonly number[]>();
  private readonly renderCache = new Map<string, string>();
  private readonly addedById = new Map<number, string>();
  private readonly addedByContent = new Map<string, { id: number; lstrip: boolean; rstrip: boolean }>();
  private readonly splitter: RegExp;
  private readonly bosId: number;

  /**
   * @param chatTemplate a template that replaces the family's own (vLLM's `--chat-template`)
   */
  constructor(
    readonly family: TokenizerFamily,
    private readonly chatTemplate: string = family.chatTemplate.template,
  ) {
    for (const t of family.addedTokens) {
      this.addedById.set(t.id, t.content);
      this.addedByContent.set(t.content, t);
    }
    const contents = [...this.addedByContent.keys()].sort((a, b) => b.length - a.length);
    this.splitter = new RegExp(contents.map(escapeRegExp).join('|'), 'g');
    const bos = this.addedByContent.get(family.bosToken);
    if (!bos) throw new Error(`tokenizer ${family.name}: BOS ${family.bosToken} is not an added token`);
    this.bosId = bos.id;
  }

  /** A template replaces the model's own (vLLM's --chat-template): it renders what it is given, tools included. */
  get hasConfiguredTemplate(): boolean {
    return this.chatTemplate !== this.family.chatTemplate.template;
  }

  private vocab(): SentencePieceBpe {
    this.bpe ??= loadVocabulary(this.family.vocabulary);
    return this.bpe;
  }

  /** One past the largest id (vLLM's out-of-vocabulary bound). */
  get vocabSize(): number {
    let max = this.vocab().vocabById.length - 1;
    for (const id of this.addedById.keys()) max = Math.max(max, id);
    return max + 1;
  }

  isInVocabulary(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.vocabSize;
  }

  /**
   * Ids of a piece of text between added tokens, with the normaliser's leading "▁". No token of
   * either vocabulary has a "▁" after another character (checked in tokenizer.spec.ts), so no merge
   * crosses the start of a "▁"-run: the piece is encoded word by word ("▁▁word" units), exactly, and
   * each word's ids are cached; new prompts made of known words cost lookups, not BPE runs.
   */
  private encodePiece(text: string): readonly number[] {
    if (text.length === 0) return [];
    const known = this.pieceCache.get(text);
    if (known) return known;
    const normalised = SPACE_MARK + text.replaceAll(' ', SPACE_MARK);
    const ids: number[] = [];
    for (const word of normalised.split(WORD_START)) {
      let wordIds = this.cache.get(word);
      if (!wordIds) {
        wordIds = this.vocab().encode(word, false, false) ?? [];
        if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
        this.cache.set(word, wordIds);
      }
      for (const id of wordIds) ids.push(id);
    }
    // Whole pieces too: benchmarks and retries send the same prompt again and again.
    if (this.pieceCache.size >= PIECE_CACHE_ENTRIES) this.pieceCache.delete(this.pieceCache.keys().next().value as string);
    this.pieceCache.set(text, ids);
    return ids;
  }

  /** Token ids of text; added-token text becomes its id. */
  encode(text: string, addSpecialTokens: boolean): number[] {
    const ids: number[] = addSpecialTokens && this.family.addBosToken ? [this.bosId] : [];
    let start = 0;
    let pendingRstrip = false;
    const pushText = (piece: string): void => {
      if (pendingRstrip) piece = piece.trimStart();
      pendingRstrip = false;
      for (const id of this.encodePiece(piece)) ids.push(id);
    };
    this.splitter.lastIndex = 0;
    for (let m = this.splitter.exec(text); m !== null; m = this.splitter.exec(text)) {
      const token = this.addedByContent.get(m[0]);
      if (!token) continue;
      let before = text.slice(start, m.index);
      if (token.lstrip) before = before.trimEnd();
      pushText(before);
      ids.push(token.id);
      start = m.index + m[0].length;
      pendingRstrip = token.rstrip;
    }
    pushText(text.slice(start));
    return ids;
  }

  count(text: string, addSpecialTokens: boolean): number {
    return this.encode(text, addSpecialTokens).length;
  }

  /** The prompt text the model's chat template makes of messages (vLLM's apply_chat_template). */
  renderChat(messages: readonly ChatTurn[], addGenerationPrompt: boolean, tools?: readonly unknown[]): string {
    // Rendering costs ~100 µs (the Jinja interpreter); the same conversation renders the same text.
    let key = addGenerationPrompt ? '1' : '0';
    for (const m of messages) {
      key += `\u0000${m.role}\u0000${m.content}`;
      if (m.toolCalls !== undefined || m.toolCallId !== undefined) key += `\u0000${JSON.stringify([m.toolCalls, m.toolCallId])}`;
    }
    if (tools !== undefined) key += `\u0001${JSON.stringify(tools)}`;
    const known = this.renderCache.get(key);
    if (known !== undefined) return known;
    const text = this.renderUncached(messages, addGenerationPrompt, tools);
    if (this.renderCache.size >= PIECE_CACHE_ENTRIES) this.renderCache.delete(this.renderCache.keys().next().value as string);
    this.renderCache.set(key, text);
    return text;
  }

  private renderUncached(messages: readonly ChatTurn[], addGenerationPrompt: boolean, tools?: readonly unknown[]): string {
    this.template ??= new Template(this.chatTemplate);
    try {
      return this.template.render({
        // As vLLM hands them to the template: tool calls and call ids where the request had them.
        messages: messages.map((m) => ({
          role: m.role,
          content: m.content,
          ...(m.toolCalls !== undefined ? { tool_calls: m.toolCalls } : {}),
          ...(m.toolCallId !== undefined ? { tool_call_id: m.toolCallId } : {}),
        })),
        ...(tools !== undefined ? { tools } : {}),
        bos_token: this.family.bosToken,
        eos_token: this.family.eosToken,
        add_generation_prompt: addGenerationPrompt,
      });
    } catch (err) {
      // vLLM answers a template error with a 400 of the exception text and its cause (None).
      throw new SimulatorError(400, `${err instanceof Error ? err.message : String(err)} None`, 'BadRequestError');
    }
  }

  /** Ids of a chat prompt, as vLLM's chat path encodes it (add_special_tokens=false). */
  encodeChat(messages: readonly ChatTurn[], addGenerationPrompt = true, tools?: readonly unknown[]): number[] {
    return this.encode(this.renderChat(messages, addGenerationPrompt, tools), false);
  }

  countChat(messages: readonly ChatTurn[], addGenerationPrompt = true, tools?: readonly unknown[]): number {
    return this.encodeChat(messages, addGenerationPrompt, tools).length;
  }

  /** convert_ids_to_tokens: the vocabulary's own strings ("▁the", "<0x0A>", "<s>"). */
  tokenString(id: number): string {
    return this.addedById.get(id) ?? this.vocab().vocabById[id] ?? '';
  }

  /** The text one token stands for ("▁the" -> " the"; a byte token alone, '' unless it is ASCII). */
  tokenText(id: number): string {
    const added = this.addedById.get(id);
    if (added !== undefined) return added;
    const s = this.vocab().vocabById[id] ?? '';
    const byte = BYTE_TOKEN.exec(s);
    if (byte) {
      const b = parseInt(byte[1], 16);
      return b < 0x80 ? String.fromCharCode(b) : '';
    }
    return s.replaceAll(SPACE_MARK, ' ');
  }

  /** Text of ids, special tokens included as their text (tokenizer.decode). */
  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    const encoder = new TextEncoder();
    for (const id of ids) {
      const added = this.addedById.get(id);
      const s = added ?? this.vocab().vocabById[id] ?? '';
      const byte = added === undefined ? BYTE_TOKEN.exec(s) : null;
      if (byte) bytes.push(parseInt(byte[1], 16));
      else for (const b of encoder.encode(added ?? s.replaceAll(SPACE_MARK, ' '))) bytes.push(b);
    }
    const text = Buffer.from(bytes).toString('utf8');
    return text.startsWith(' ') ? text.slice(1) : text;
  }

  /**
   * The text each token of text stands for, in order (no special tokens); their concatenation is
   * text. A character spelled in several byte tokens appears whole at its last byte, the others ''.
   */
  pieces(text: string): string[] {
    const out: string[] = [];
    const vocab = this.vocab().vocabById;
    let pendingBytes: number[] = [];
    for (const id of this.encodePiece(text)) {
      const s = vocab[id] ?? '';
      const byte = BYTE_TOKEN.exec(s);
      if (byte) {
        pendingBytes.push(parseInt(byte[1], 16));
        const decoded = Buffer.from(pendingBytes).toString('utf8');
        if (decoded.includes('\uFFFD')) {
          out.push('');
        } else {
          out.push(decoded);
          pendingBytes = [];
        }
      } else {
        pendingBytes = [];
        out.push(s.replaceAll(SPACE_MARK, ' '));
      }
    }
    // The normaliser's own leading space is not part of text.
    if (out.length > 0 && out[0].startsWith(' ')) out[0] = out[0].slice(1);
    return out;
  }
}
