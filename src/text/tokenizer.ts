/**
 * What every part of bptt needs from a tokenizer, whether its tokens are
 * characters (CharTokenizer) or words and punctuation marks (WordTokenizer).
 *
 * Both share one convention: the token '\n' ends a sequence and, fed as input,
 * starts one (END_OF_SEQUENCE), and the vocabulary is a list of token strings
 * whose index is the token id: row i of the embedding and of U (Eq. 2.1).
 */

import { BpttError } from '../core/errors.js';

/** The token that ends (and, as input, starts) a sequence. */
export const END_OF_SEQUENCE = '\n';

/** What a token is: a character, or a word or punctuation mark. */
export type TokenizerKind = 'char' | 'word';
/** Every TokenizerKind, for option parsers. */
export const TOKENIZER_KINDS: readonly TokenizerKind[] = ['char', 'word'];

/** What a model file stores about its tokenizer (the "bptt" metadata's tokenizer fields). */
export interface TokenizerSpec {
  tokenizer: TokenizerKind;
  /** Tokens in index order. */
  vocab: string[];
  /** Text is lower-cased before it is encoded. */
  lowercase: boolean;
  /** Word tokenizers: the token that stands for every word outside the vocabulary. */
  unknown?: string;
}

/** What every part of bptt needs from a tokenizer (CharTokenizer or WordTokenizer). */
export interface Tokenizer {
  readonly kind: TokenizerKind;
  /** Token strings in index order. */
  readonly tokens: readonly string[];
  /** Lower-case text before encoding it. */
  readonly lowercase: boolean;
  /** V, the vocabulary size. */
  readonly size: number;
  /** The id of '\n'. */
  readonly endId: number;
  /** The id of the unknown token, or undefined when unknown input fails instead (characters). */
  readonly unknownId: number | undefined;
  /** What one token is, for loss units: "nats/char" or "nats/token". */
  readonly unit: 'char' | 'token';
  /** The text as this tokenizer sees it (lower-cased if it lower-cases). */
  normalize(text: string): string;
  /** Token ids of a text; `what` names the text in the error for input it cannot encode. */
  encode(text: string, what?: string): number[];
  /** The text of some token ids. */
  decode(ids: Iterable<number>): string;
  /** The text of `ids` generated after `prime` (the prime as typed, then the continuation). */
  continueText(prime: string, ids: readonly number[]): string;
  /** The first character of a text that cannot be encoded at all, or undefined. */
  unknownCharacter(text: string): string | undefined;
  /** The vocabulary for messages: a few tokens, quoted. */
  printableVocabulary(): string;
  /** What a model file stores to rebuild this tokenizer. */
  spec(): TokenizerSpec;
}

/**
 * What both tokenizers share: the list of token strings, checked (each once,
 * '\n' among them), looked up by string, and lower-casing.
 */
export abstract class TokenVocabulary {
  /** Token strings in index order. */
  readonly tokens: readonly string[];
  /** Lower-case text before encoding it. */
  readonly lowercase: boolean;
  protected readonly index: Map<string, number>;

  constructor(tokens: readonly string[], lowercase: boolean) {
    this.tokens = [...tokens];
    this.lowercase = lowercase;
    this.index = new Map(this.tokens.map((token, i) => [token, i]));
    if (this.index.size !== this.tokens.length) throw new BpttError('the vocabulary lists a token twice', 'the model file is damaged; train it again');
    if (!this.index.has(END_OF_SEQUENCE)) throw new BpttError('the vocabulary has no end-of-sequence token "\\n"', 'the model file was not written by bptt');
  }

  /** The text as this tokenizer sees it (lower-cased if it lower-cases). */
  normalize(text: string): string {
    return this.lowercase ? text.toLowerCase() : text;
  }

  get size(): number {
    return this.tokens.length;
  }

  get endId(): number {
    return this.index.get(END_OF_SEQUENCE)!;
  }
}
