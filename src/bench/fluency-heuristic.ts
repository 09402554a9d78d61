/**
 * A fluency heuristic — not a grammar checker: does a text read as English sentences or as a
 * word sequence without grammar (the simulator's random words, or a good answer's words shuffled)?
 *
 * wink-nlp with its English light model (wink-eng-lite-web-model) splits the text into sentences
 * and tags each word with its universal part of speech. A sentence is flagged when it breaks one
 * of a few rules about English function words that hold in ordinary prose, whatever its topic:
 *
 * - an article or possessive (a, an, the, my, our, your, their, its, every) followed by a word
 *   that cannot start or continue a noun phrase (a determiner, preposition, conjunction, pronoun,
 *   auxiliary, particle, or punctuation), or by one adjective that ends the sentence ("its good.");
 * - "a" before a vowel letter or "an" before a consonant (with the usual exceptions: "a user",
 *   "an hour");
 * - a conjunction followed by a conjunction, a comma or the end of the sentence; a comma followed
 *   by a comma or the end; the same word twice in a row;
 * - a sentence ending in "of", "from", "at", "with", "into", "than", "as" or "by";
 * - a preposition followed by a finite auxiliary ("of is"), a subject pronoun ("at we") or a
 *   conjunction ("at and"); a determiner followed by a possessive ("this your");
 * - two subject pronouns in a row ("we you"), a pronoun that disagrees with its auxiliary
 *   ("we is", "it are"), "to" before a finite auxiliary ("to can");
 * - a modal followed by a determiner, preposition, conjunction or another modal ("can the"), bare
 *   "be" where no modal or "to" came before it in the sentence ("this be");
 * - a sentence that opens with an auxiliary (other than an imperative be/do/have) but is not a
 *   question;
 * - a sentence of four or more words without a verb (list items and headings are exempt).
 *
 * The result is the share of words that sit in unflagged sentences. Tagging errors flag a few
 * well-formed sentences too, and a grammatical but meaningless text passes: the score says
 * "reads as English", nothing about truth or sense.
 */
import winkNLP, { ItemSentence, ItemToken, WinkMethods } from 'wink-nlp';
import model from 'wink-eng-lite-web-model';

export const FLUENCY_METHOD =
  'heuristic: share of words in sentences that break none of a few English function-word rules ' +
  '(part-of-speech tags from wink-nlp with wink-eng-lite-web-model)';

export interface FluencyResult {
  /** Share of words in sentences without a flag, 0..1 (1 for a text without words). */
  share: number;
  words: number;
  sentences: number;
  flaggedSentences: number;
  /** Up to 3 flagged sentences with the rules they broke, for the report. */
  examples: string[];
}

interface Token {
  word: string;
  pos: string;
}

const ARTICLE_OR_POSSESSIVE = new Set(['a', 'an', 'the', 'my', 'our', 'your', 'their', 'its', 'every']);
const SUBJECT = new Set(['i', 'we', 'they', 'he', 'she']);
const SUBJECT_OR_POSSESSIVE = new Set([...SUBJECT, 'you', 'my', 'our', 'your', 'their']);
const MODAL = new Set(['can', 'will', 'may', 'must', 'should', 'could', 'would', 'might', 'shall']);
const FINITE_AUX = new Set([...MODAL, 'is', 'are', 'was', 'were', 'has', 'have', 'had', 'do', 'does', 'did']);
const AFTER_TO_NEVER = new Set([...MODAL, 'is', 'are', 'was', 'were', 'has', 'does', 'did']);
const DISAGREES: Record<string, Set<string>> = {
  i: new Set(['is', 'are', 'has', 'does']),
  we: new Set(['is', 'was', 'has', 'does']),
  you: new Set(['is', 'was', 'has', 'does']),
  they: new Set(['is', 'was', 'has', 'does']),
  he: new Set(['are', 'were', 'have', 'do']),
  she: new Set(['are', 'were', 'have', 'do']),
  it: new Set(['are', 'were', 'have', 'do']),
};
const POSSESSIVE = new Set(['my', 'our', 'your', 'their', 'its']);
/** Determiners that may stand before another ("all their", "both our"). */
const PREDETERMINER = new Set(['all', 'both', 'half', 'such', 'what']);
const NEVER_LAST = new Set(['of', 'from', 'at', 'with', 'into', 'than', 'as', 'by']);
/** Adjectives that stand for a noun after "the" ("the same", "their own"). */
const NOMINAL_ADJECTIVES = new Set(['same', 'other', 'latter', 'former', 'first', 'last', 'next', 'best', 'most', 'least', 'following', 'rest', 'whole', 'own', 'latest']);
const NOT_IN_NOUN_PHRASE = new Set(['DET', 'ADP', 'CCONJ', 'SCONJ', 'AUX', 'PART', 'PRON', 'PUNCT']);
const IMPERATIVE_AUX = new Set(['be', 'do', 'have']);
/** "a" before these vowel-letter words and "an" before these consonant-letter words are right. */
const A_BEFORE_VOWEL = /^(?:u[bcdfgklmnprstv][aeiou]|eu|one|once|uni|url|uri|ui$)/;
// Acronyms read letter by letter (an LLM, an SQL query) start with a vowel sound.
const AN_BEFORE_CONSONANT = /^(?:hour|honest|honou?r|heir|[fhlmnrsx][^aeiouy]*$|[0-9])/;
const LIST_OR_HEADING = /^\s*(?:#{1,6}|[-*+>]|\d+[.)])\s+/;

let nlp: WinkMethods | undefined;
function tagger(): WinkMethods {
  // Loading the model takes a few tens of milliseconds: once, on first use.
  nlp ??= winkNLP(model);
  return nlp;
}

/** Paragraphs, list items and headings; other line breaks (wrapped prose, verse) join into one. */
function blocks(text: string): { text: string; heading: boolean }[] {
  const out: { text: string; heading: boolean }[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    let lines: string[] = [];
    const flush = () => {
      if (lines.length) out.push({ text: lines.join(' '), heading: false });
      lines = [];
    };
    for (const line of paragraph.split('\n')) {
      const marker = LIST_OR_HEADING.exec(line);
      if (marker) {
        flush();
        out.push({ text: line.slice(marker[0].length), heading: true });
      } else lines.push(line);
    }
    flush();
  }
  // Emphasis and code marks carry no words.
  return out.map((b) => ({ ...b, text: b.text.replace(/[*_`]+/g, '').trim() })).filter((b) => b.text !== '');
}

function isWord(t: Token): boolean {
  return t.pos !== 'PUNCT' && t.pos !== 'SYM' && t.pos !== 'SPACE';
}

/**
 * Article + one adjective + the end of the sentence ("its good."). Only the end: the tagger reads
 * some nouns as adjectives ("the future of"), so a preposition after the adjective proves nothing.
 */
function unfinishedNounPhrase(tokens: Token[], next: number, isEnd: (t: Token | undefined) => boolean): boolean {
  const adjective = tokens[next];
  if (!adjective || (adjective.pos !== 'ADJ' && adjective.pos !== 'ADV') || NOMINAL_ADJECTIVES.has(adjective.word)) return false;
  return isEnd(tokens[next + 1]);
}

function articleMismatch(article: string, next: Token | undefined): boolean {
  if (!next || !/^[a-z0-9]/.test(next.word)) return false;
  const vowel = /^[aeiou]/.test(next.word);
  if (article === 'a') return vowel && !A_BEFORE_VOWEL.test(next.word);
  if (article === 'an') return !vowel && !AN_BEFORE_CONSONANT.test(next.word);
  return false;
}

/** The rules a sentence breaks (empty: none). */
export function sentenceFlags(tokens: Token[], options: { heading: boolean } = { heading: false }): string[] {
  const flags: string[] = [];
  const words = tokens.filter(isWord);
  const last = tokens[tokens.length - 1];
  const isQuestion = last?.word === '?';
  const isEnd = (t: Token | undefined) => !t || (t.pos === 'PUNCT' && /^[.!?;:]$/.test(t.word));
  let modalOrToSeen = false;
  for (let i = 0; i < tokens.length; i++) {
    const a = tokens[i];
    const b = tokens[i + 1];
    const pair = `"${a.word} ${b?.word ?? '<end>'}"`;
    if (ARTICLE_OR_POSSESSIVE.has(a.word) && a.pos !== 'PROPN') {
      if (isEnd(b) || NOT_IN_NOUN_PHRASE.has(b!.pos)) flags.push(`determiner then ${b?.pos ?? 'end'}: ${pair}`);
      else if (unfinishedNounPhrase(tokens, i + 1, isEnd)) flags.push(`unfinished noun phrase after "${a.word}"`);
      else if (articleMismatch(a.word, b)) flags.push(`article: ${pair}`);
    } else if (a.pos === 'CCONJ' && i > 0 && (isEnd(b) || b!.pos === 'CCONJ' || b!.word === ',')) flags.push(`conjunction then ${b?.word ?? 'end'}: ${pair}`);
    else if (a.word === ',' && (isEnd(b) || b!.word === ',')) flags.push(`comma then ${b?.word ?? 'end'}`);
    else if (b && a.word === b.word && /^[a-z]/.test(a.word) && a.word !== 'that' && a.word !== 'had') flags.push(`repeated word: ${pair}`);
    else if (a.pos === 'ADP' && NEVER_LAST.has(a.word) && isEnd(b)) flags.push(`ends with "${a.word}"`);
    else if (b && a.pos === 'ADP' && a.word !== 'as' && a.word !== 'than' && FINITE_AUX.has(b.word)) flags.push(`preposition then auxiliary: ${pair}`);
    else if (b && a.pos === 'ADP' && SUBJECT.has(b.word)) flags.push(`preposition then subject pronoun: ${pair}`);
    else if (b && a.pos === 'ADP' && b.pos === 'CCONJ') flags.push(`preposition then conjunction: ${pair}`);
    else if (b && a.pos === 'DET' && !PREDETERMINER.has(a.word) && POSSESSIVE.has(b.word)) flags.push(`determiner then possessive: ${pair}`);
    else if (b && ((SUBJECT.has(a.word) && SUBJECT_OR_POSSESSIVE.has(b.word)) || (a.word === 'you' && SUBJECT.has(b.word)))) flags.push(`two pronouns: ${pair}`);
    else if (b && DISAGREES[a.word]?.has(b.word)) flags.push(`agreement: ${pair}`);
    else if (b && a.word === 'to' && AFTER_TO_NEVER.has(b.word)) flags.push(`"to" then auxiliary: ${pair}`);
    else if (b && MODAL.has(a.word) && i > 0 && (MODAL.has(b.word) || ['DET', 'ADP', 'CCONJ', 'SCONJ'].includes(b.pos))) flags.push(`modal then ${b.pos}: ${pair}`);
    else if (b && b.word === 'be' && !modalOrToSeen && !(a.pos === 'PART' || a.pos === 'ADV' || a.word === 'let')) flags.push(`bare "be": ${pair}`);
    else if (i === 0 && a.pos === 'AUX' && !IMPERATIVE_AUX.has(a.word) && !isQuestion) flags.push(`opens with "${a.word}" but is no question`);
    if (MODAL.has(a.word) || a.word === 'to') modalOrToSeen = true;
  }
  // List items and headings are often noun phrases ("- Target market: small grocers.").
  if (words.length >= 4 && !options.heading && !words.some((t) => t.pos === 'VERB' || t.pos === 'AUX')) flags.push('no verb');
  return flags;
}

export function fluency(text: string): FluencyResult {
  const nlp = tagger();
  const its = nlp.its;
  let words = 0;
  let flaggedWords = 0;
  let sentences = 0;
  let flaggedSentences = 0;
  const examples: string[] = [];
  for (const block of blocks(text)) {
    nlp.readDoc(block.text).sentences().each((sentence: ItemSentence) => {
      const tokens: Token[] = [];
      sentence.tokens().each((t: ItemToken) => {
        const pos = t.out(its.pos);
        if (pos !== 'SPACE') tokens.push({ word: t.out(its.normal), pos });
      });
      const count = tokens.filter(isWord).length;
      if (count === 0) return;
      sentences += 1;
      words += count;
      const flags = sentenceFlags(tokens, { heading: block.heading });
      if (flags.length === 0) return;
      flaggedSentences += 1;
      flaggedWords += count;
      if (examples.length < 3) examples.push(`${sentence.out().slice(0, 80)} (${flags.slice(0, 2).join('; ')})`);
    });
  }
  return { share: words === 0 ? 1 : (words - flaggedWords) / words, words, sentences, flaggedSentences, examples };
}
