/**
 * Words as tokens. A text is cut into pieces:
 *
 * - a word: a run of Unicode letters, combining marks and digits, which may
 *   hold inner apostrophes and hyphens ("don't", "well-known", "rock'n'roll")
 *   and, between digits, a '.', ',' or ':' ("3.14", "1,000", "10:30");
 * - '\n', the end-of-sequence token (as for characters);
 * - every other visible character (with any combining marks after it) on its
 *   own: punctuation marks and symbols are tokens too ("Hi, you!" → Hi , you !).
 *
 * Spaces and tabs only separate pieces; they are not tokens. So decoding has
 * to put spaces back, and does it by these rules (between two tokens on a line):
 *
 * - no space before a closing mark  . , ; : ! ? … % ) ] } » ” ’ (and the
 *   full-width 。、，！？：；）」』)
 * - no space after an opening mark  ( [ { « “ ‘ ¿ ¡ （ 「 『
 * - a straight quote " or a lone ' opens (like “) the 1st, 3rd, … time on a
 *   line and closes (like ”) the 2nd, 4th, …
 * - otherwise one space.
 *
 * Text already spaced this way ("normalised") survives encode → decode
 * unchanged; other spacing comes back normalised ("a ,b" → "a, b").
 *
 * The vocabulary is '\n', the unknown token '<unk>', then the pieces seen at
 * least `minCount` times in the training text, most frequent first, at most
 * `maxSize` tokens in all (the output layer has a row per token). Any other
 * piece encodes as '<unk>' (encoding never fails), so with minCount 2 the
 * model learns from the words seen once what to do with words it has never
 * seen (in validation text, a prime, or text to score).
 */
import { BpttError } from '../core/errors.js';
import { END_OF_SEQUENCE, TokenVocabulary, type Tokenizer, type TokenizerSpec } from './tokenizer.js';

/** The token that stands for every word outside a word vocabulary. */
export const UNKNOWN_TOKEN = '<unk>';
/** Words seen fewer times than this in the training text become UNKNOWN_TOKEN. */
export const DEFAULT_MIN_COUNT = 2;
/**
 * A word vocabulary holds at most this many tokens ('\n' and '<unk>' included): the rarer words become
 * '<unk>'. 10,000 is the Penn Treebank's vocabulary; with 256 hidden units the output layer is then
 * 2.6 M weights, and a text of 100 MB does not make it grow.
 */
export const DEFAULT_MAX_VOCABULARY = 10_000;
/** The fewest tokens a word vocabulary can have: '\n', '<unk>' and two pieces to tell apart. */
export const MIN_VOCABULARY = 4;

const WORD = String.raw`[\p{L}\p{M}\p{N}]+(?:(?:['’\-‐]|(?<=\p{N})[.,:](?=\p{N}))[\p{L}\p{M}\p{N}]+)*`;
/** A word, a line end, or one other visible character with its combining marks. */
const PIECE = new RegExp(String.raw`${WORD}|\n|[^\s]\p{M}*`, 'gu');

const CLOSING = new Set(['.', ',', ';', ':', '!', '?', '…', '%', ')', ']', '}', '»', '”', '’', '。', '、', '，', '！', '？', '：', '；', '）', '」', '』']);
const OPENING = new Set(['(', '[', '{', '«', '“', '‘', '¿', '¡', '（', '「', '『']);
const STRAIGHT_QUOTES = new Set(['"', "'"]);

/** The pieces of a text, in order: words, '\n' and single marks (spaces dropped). */
export function splitWords(text: string): string[] {
  return text.match(PIECE) ?? [];
}

/**
 * Where a text read in parts may be cut without changing its pieces: just after its last white-space
 * character (0 if it has none). No piece holds white space but the lone '\n', so the pieces of
 * `text.slice(0, cut)` followed by those of the rest (with whatever comes after) are the pieces of the
 * whole; lower-casing is not changed either (its one context rule, Greek final sigma, stops at white space).
 */
export function pieceBoundary(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) if (/\s/.test(text[i])) return i + 1;
  return 0;
}

/** Adds the pieces of `text` (already normalised), '\n' excepted, to `counts`; returns how many pieces it has, '\n' included. */
export function countWords(text: string, counts: Map<string, number>): number {
  const pieces = splitWords(text);
  for (const piece of pieces) if (piece !== END_OF_SEQUENCE) counts.set(piece, (counts.get(piece) ?? 0) + 1);
  return pieces.length;
}

/** Joins pieces into text by the spacing rules above. */
export function joinWords(pieces: Iterable<string>): string {
  let text = '';
  let previous = END_OF_SEQUENCE; // a line's first token gets no space before it
  let openQuotes = 0; // straight quotes seen on this line, to tell opening from closing
  let previousOpens = false;
  for (const piece of pieces) {
    let closes = CLOSING.has(piece);
    let opens = OPENING.has(piece);
    if (STRAIGHT_QUOTES.has(piece)) {
      opens = openQuotes % 2 === 0;
      closes = !opens;
      openQuotes++;
    }
    const space = previous !== END_OF_SEQUENCE && piece !== END_OF_SEQUENCE && !closes && !previousOpens;
    text += space ? ` ${piece}` : piece;
    if (piece === END_OF_SEQUENCE) openQuotes = 0;
    previous = piece;
    previousOpens = opens;
  }
  return text;
}

/** How WordTokenizer.fromText builds a vocabulary. */
export interface WordTokenizerOptions {
  lowercase?: boolean;
  /** The token standing for every piece outside the vocabulary. */
  unknown?: string;
}

/** How a word vocabulary is chosen from a text's counts. */
export interface WordVocabularyOptions {
  lowercase?: boolean;
  /** Pieces seen fewer times become the unknown token (default DEFAULT_MIN_COUNT). */
  minCount?: number;
  /** At most this many tokens, '\n' and the unknown token included (default DEFAULT_MAX_VOCABULARY). */
  maxSize?: number;
}

/** Words and punctuation marks as tokens; words seen fewer than minCount times become the unknown token. */
export class WordTokenizer extends TokenVocabulary implements Tokenizer {
  readonly kind = 'word' as const;
  readonly unit = 'token' as const;
  /** The unknown token's string, '<unk>' by default. */
  readonly unknown: string;

  constructor(tokens: readonly string[], options: WordTokenizerOptions = {}) {
    super(tokens, options.lowercase ?? false);
    this.unknown = options.unknown ?? UNKNOWN_TOKEN;
    const damaged = 'the model file is damaged; train it again';
    // The unknown token must not be a piece some text could contain, or that text would read as unknown.
    const unknownPieces = splitWords(this.unknown);
    if (this.unknown === '' || (unknownPieces.length === 1 && unknownPieces[0] === this.unknown)) {
      throw new BpttError(`the unknown token ${JSON.stringify(this.unknown)} could be a word of the text`, damaged);
    }
    if (!this.index.has(this.unknown)) throw new BpttError(`the vocabulary has no unknown token ${JSON.stringify(this.unknown)}`, damaged);
    for (const token of this.tokens) {
      if (token === END_OF_SEQUENCE || token === this.unknown) continue;
      const pieces = splitWords(token);
      if (pieces.length !== 1 || pieces[0] !== token) throw new BpttError(`the vocabulary's token ${JSON.stringify(token)} is not one word or mark`, damaged);
    }
  }

  /**
   * The vocabulary of a text: '\n', '<unk>', then every piece seen at least
   * `minCount` times, most frequent first (ties in code-unit order), at most `maxSize` tokens in all.
   */
  static fromText(text: string, options: WordVocabularyOptions = {}): WordTokenizer {
    const counts = new Map<string, number>();
    countWords(options.lowercase ? text.toLowerCase() : text, counts);
    return WordTokenizer.fromCounts(counts, options);
  }

  /** The vocabulary of a text whose pieces were counted (countWords), maybe part by part, as fromText builds it. */
  static fromCounts(counts: ReadonlyMap<string, number>, options: WordVocabularyOptions = {}): WordTokenizer {
    const minCount = options.minCount ?? DEFAULT_MIN_COUNT;
    const maxSize = options.maxSize ?? DEFAULT_MAX_VOCABULARY;
    const kept = [...counts].filter(([, count]) => count >= minCount);
    kept.sort(([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : a > b ? 1 : 0));
    const words = kept.slice(0, Math.max(0, maxSize - 2)).map(([piece]) => piece);
    return new WordTokenizer([END_OF_SEQUENCE, UNKNOWN_TOKEN, ...words], { lowercase: options.lowercase });
  }

  get unknownId(): number {
    return this.index.get(this.unknown)!;
  }

  /** Ids of the text's pieces; a piece outside the vocabulary becomes the unknown token (never an error). */
  encode(text: string, _what = 'the text'): number[] {
    const unknownId = this.unknownId;
    return splitWords(this.normalize(text)).map((piece) => this.index.get(piece) ?? unknownId);
  }

  decode(ids: Iterable<number>): string {
    return joinWords(Array.from(ids, (id) => this.tokens[id]));
  }

  /** The prime's own pieces as typed (unknown words too), then the generated tokens, spaced by the rules above. */
  continueText(prime: string, ids: readonly number[]): string {
    return joinWords([...splitWords(prime), ...ids.map((id) => this.tokens[id])]);
  }

  /** Every character can be encoded: unknown pieces become the unknown token. */
  unknownCharacter(_text: string): undefined {
    return undefined;
  }

  /** How many of the text's pieces (line ends excluded) are outside the vocabulary. */
  unknownCount(text: string): number {
    return splitWords(this.normalize(text)).filter((piece) => piece !== END_OF_SEQUENCE && !this.index.has(piece)).length;
  }

  printableVocabulary(): string {
    const shown = this.tokens.slice(0, 20).map((token) => JSON.stringify(token));
    return `${shown.join(' ')}${this.size > 20 ? ` … (${this.size} tokens)` : ''}`;
  }

  spec(): TokenizerSpec {
    return { tokenizer: 'word', vocab: [...this.tokens], lowercase: this.lowercase, unknown: this.unknown };
  }
}
