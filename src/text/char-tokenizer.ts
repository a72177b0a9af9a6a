/**
 * Characters as tokens. A "character" is a Unicode code point, never half of
 * a UTF-16 surrogate pair, so 🦕 is one token. The vocabulary is the sorted
 * set of code points of the training text plus '\n', which marks the end of a
 * sequence (and, fed as input, its start).
 *
 * A tokenizer may also lower-case text before encoding it (the seed's
 * notebook trains on lower-cased names); model files record that, so a prime
 * or a data file given later is treated the same way.
 */
import { BpttError } from '../core/errors.js';
import { END_OF_SEQUENCE, TokenVocabulary, type Tokenizer, type TokenizerSpec } from './tokenizer.js';

export { END_OF_SEQUENCE };

/** Characters as tokens: the vocabulary is the distinct characters of the training text, "\n" among them. */
export class CharTokenizer extends TokenVocabulary implements Tokenizer {
  readonly kind = 'char' as const;
  readonly unit = 'char' as const;
  /** Characters have no unknown token: a character outside the vocabulary fails. */
  readonly unknownId = undefined;

  constructor(tokens: readonly string[], options: { lowercase?: boolean } = {}) {
    super(tokens, options.lowercase ?? false);
  }

  /** The vocabulary of a text: its distinct code points and '\n', sorted by code point. */
  static fromText(text: string, options: { lowercase?: boolean } = {}): CharTokenizer {
    const set = new Set<string>([END_OF_SEQUENCE]);
    for (const char of options.lowercase ? text.toLowerCase() : text) set.add(char); // no array of every character: the text may be 50 MB
    return new CharTokenizer(
      [...set].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!),
      options,
    );
  }

  /** Whether a token (a character) is in the vocabulary. */
  has(token: string): boolean {
    return this.index.has(token);
  }

  /** The first character of text the vocabulary lacks, or undefined. */
  unknownCharacter(text: string): string | undefined {
    for (const char of this.normalize(text)) if (!this.index.has(char)) return char;
    return undefined;
  }

  /** Token ids of a text; `what` names the text in the error for an unknown character. */
  encode(text: string, what = 'the text'): number[] {
    const ids: number[] = [];
    for (const char of this.normalize(text)) {
      const id = this.index.get(char);
      if (id === undefined) {
        throw new BpttError(
          `${what} contains ${describeCharacter(char)}, which is not in the model's vocabulary`,
          `use only these characters: ${this.printableVocabulary()}`,
        );
      }
      ids.push(id);
    }
    return ids;
  }

  decode(ids: Iterable<number>): string {
    let text = '';
    for (const id of ids) text += this.tokens[id];
    return text;
  }

  /** The prime as typed, then the generated characters. */
  continueText(prime: string, ids: readonly number[]): string {
    return prime + this.decode(ids);
  }

  printableVocabulary(): string {
    return JSON.stringify(this.tokens.join(''));
  }

  spec(): TokenizerSpec {
    return { tokenizer: 'char', vocab: [...this.tokens], lowercase: this.lowercase };
  }
}

/** 'Q' (U+0051), or "\n" (U+000A) for invisible ones. */
export function describeCharacter(char: string): string {
  const codePoint = char.codePointAt(0)!;
  return `${JSON.stringify(char)} (U+${codePoint.toString(16).toUpperCase().padStart(4, '0')})`;
}
