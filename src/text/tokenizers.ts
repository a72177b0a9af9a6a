/**
 * Choosing a tokenizer by kind: a new one for a training text, or the one a
 * model file stored (its TokenizerSpec).
 */
import { BpttError } from '../core/errors.js';
import { CharTokenizer } from './char-tokenizer.js';
import type { Tokenizer, TokenizerKind, TokenizerSpec } from './tokenizer.js';
import { DEFAULT_MIN_COUNT, WordTokenizer } from './word-tokenizer.js';

/** Which tokenizer tokenizerForText builds. */
export interface TokenizerOptions {
  kind: TokenizerKind;
  lowercase: boolean;
  /** Word tokenizers: pieces seen fewer times become the unknown token. */
  minCount?: number;
  /** Word tokenizers: at most this many tokens ('\n' and the unknown token included). */
  maxVocab?: number;
}

/** The vocabulary of a training text. */
export function tokenizerForText(text: string, options: TokenizerOptions): Tokenizer {
  if (options.kind === 'word')
    return WordTokenizer.fromText(text, { lowercase: options.lowercase, minCount: options.minCount ?? DEFAULT_MIN_COUNT, maxSize: options.maxVocab });
  return CharTokenizer.fromText(text, { lowercase: options.lowercase });
}

/** The tokenizer a model file describes; a damaged description throws a BpttError. */
export function tokenizerFromSpec(spec: TokenizerSpec): Tokenizer {
  if (spec.tokenizer === 'word') return new WordTokenizer(spec.vocab, { lowercase: spec.lowercase, unknown: spec.unknown });
  if (spec.tokenizer === 'char') return new CharTokenizer(spec.vocab, { lowercase: spec.lowercase });
  throw new BpttError(`tokenizer ${JSON.stringify(spec.tokenizer)} is not supported`, 'this version of bptt reads the tokenizers "char" and "word"');
}
