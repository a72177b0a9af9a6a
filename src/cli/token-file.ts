/**
 * Mode stream's data in Node, with memory that does not grow with the file:
 * the text is read in chunks of CHUNK_BYTES, twice. The first pass collects
 * the vocabulary and the fingerprint: the distinct characters, or for word
 * tokens every word's count (the vocabulary is then the most frequent words,
 * as WordTokenizer.fromText chooses them); the second encodes each chunk into
 * ids, 1, 2 or 4 bytes each, and appends them to a temporary file. Training
 * then reads one window at a time from that file (FileTokenSource), so neither
 * the text nor its ids are ever held whole. TextDecoder's stream mode joins
 * UTF-8 sequences split across chunks; a word split across chunks is carried
 * over to the next one (words are cut only at white space, pieceBoundary).
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpttError } from '../core/errors.js';
import { idArrayFor, type TokenSource } from '../data/stream.js';
import type { CharTokenizer } from '../text/char-tokenizer.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { countWords, pieceBoundary } from '../text/word-tokenizer.js';
import { checkVocabulary, fingerprint, wordVocabularyOf, type VocabularyRecipe } from '../train/recipe.js';
import { fileError } from './files.js';

/**
 * 64 KB: a chunk's decoded text (and the ids buffer) stay small objects that V8's young generation
 * collects right away; chunks of megabytes would go to its large-object space, which is only
 * swept by full collections, so the garbage of a long read would pile up first.
 */
export const CHUNK_BYTES = 1 << 16;
/** Word tokens: the longest run of text without white space the reader carries between chunks (1 M characters). */
export const MAX_UNSPACED = 1 << 20;
/**
 * Word tokens: distinct pieces the counting pass keeps. Past it, it forgets the rarest ones (those
 * seen once, then twice, … until half are left), as word2vec's counting does: a text of any size
 * counts in bounded memory, and only words far too rare for the vocabulary lose counts.
 */
export const MAX_COUNTED_PIECES = 1 << 20;

/** Calls `each` with the file's text piece by piece, '\r\n' and '\r' turned into '\n' as loadCorpus does. */
function readTextChunks(path: string, each: (text: string) => void): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw fileError(error, path, 'data file');
  }
  const bytes = new Uint8Array(CHUNK_BYTES);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  let pendingReturn = false; // a '\r' at a chunk's end: '\r\n' may continue in the next chunk
  const emit = (decoded: string, last: boolean) => {
    let text = (pendingReturn ? '\r' : '') + decoded;
    pendingReturn = !last && text.endsWith('\r');
    if (pendingReturn) text = text.slice(0, -1);
    if (text.length > 0) each(text.replace(/\r\n?/g, '\n'));
  };
  try {
    for (;;) {
      const read = readSync(fd, bytes, 0, CHUNK_BYTES, null);
      let decoded: string;
      try {
        decoded = decoder.decode(bytes.subarray(0, read), { stream: read > 0 });
      } catch {
        throw new BpttError(`data file ${path} is not valid UTF-8 text (within bytes ${offset}..${offset + read})`, 'save it as UTF-8, or give another file');
      }
      emit(decoded, read === 0);
      if (read === 0) break;
      offset += read;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Calls `each` with the file's text in parts that end just after white space (pieceBoundary): the
 * word pieces of the parts, in order, are those of the whole text.
 */
function readWordParts(path: string, each: (text: string) => void, eachChunk?: (text: string) => void): void {
  let carried = '';
  readTextChunks(path, (text) => {
    eachChunk?.(text);
    const whole = carried + text;
    const cut = pieceBoundary(whole);
    carried = whole.slice(cut);
    if (carried.length > MAX_UNSPACED) {
      throw new BpttError(
        `data file ${path} has over ${MAX_UNSPACED.toLocaleString('en-US')} characters without a space or line end: word tokens need words`,
        'use --tokens char for this text',
      );
    }
    if (cut > 0) each(whole.slice(0, cut));
  });
  if (carried.length > 0) each(carried);
}

/** Token ids in a file of fixed-width entries, read window by window. */
export class FileTokenSource implements TokenSource {
  private scratch: Uint8Array | Uint16Array | Uint32Array;

  constructor(
    private readonly fd: number,
    readonly length: number,
    vocabSize: number,
  ) {
    this.scratch = idArrayFor(vocabSize, 0);
  }

  read(start: number, out: Int32Array): void {
    if (this.scratch.length < out.length) this.scratch = new (this.scratch.constructor as Uint8ArrayConstructor)(out.length);
    const ids = this.scratch.subarray(0, out.length);
    const width = ids.BYTES_PER_ELEMENT;
    const bytes = new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength);
    let done = 0;
    while (done < bytes.length) {
      const read = readSync(this.fd, bytes, done, bytes.length - done, start * width + done);
      if (read === 0) throw new Error(`the token file ended at token ${start + done / width} of ${this.length}`);
      done += read;
    }
    out.set(ids);
  }
}

export interface StreamCorpus {
  tokenizer: Tokenizer;
  tokens: FileTokenSource;
  /** How many of the tokens are the unknown token (word tokens; 0 for characters). */
  unknown: number;
  /** The fingerprint of the text, as recipe.fingerprint gives for the whole text. */
  fingerprint: string;
  /** Closes and deletes the token file. */
  close(): void;
}

/** What readStreamCorpus needs of a recipe; `countingLimit` replaces MAX_COUNTED_PIECES (for tests). */
export type StreamReadOptions = VocabularyRecipe & { countingLimit?: number };

/**
 * Reads a text file for mode stream: its vocabulary (or checks it against `tokenizer`) and its ids
 * in a temporary token file. Characters by default; words and marks with `tokens: 'word'` or a word
 * `tokenizer`. Memory: a chunk of text and the vocabulary (for words, their counts), whatever the file's size.
 */
export function readStreamCorpus(path: string, options: StreamReadOptions, tokenizer?: Tokenizer): StreamCorpus {
  const words = (tokenizer?.kind ?? options.tokens ?? 'char') === 'word';
  return words ? readWords(path, options, tokenizer) : readCharacters(path, options, tokenizer as CharTokenizer | undefined);
}

function readCharacters(path: string, options: StreamReadOptions, tokenizer?: CharTokenizer): StreamCorpus {
  const distinct = new Set<string>();
  let hash: string | undefined;
  let tokens = 0;
  readTextChunks(path, (raw) => {
    hash = fingerprint(raw, hash);
    const text = tokenizer ? tokenizer.normalize(raw) : options.lowercase ? raw.toLowerCase() : raw;
    for (const char of text) {
      distinct.add(char);
      tokens++;
    }
  });
  if (hash === undefined || distinct.size === 0) throw emptyFile(path);
  const vocabulary = checkVocabulary(distinct, path, options, tokenizer);
  // Every character is in the vocabulary now (checked above): encode straight into one buffer.
  const index = new Map<string, number>(vocabulary.tokens.map((token: string, id: number) => [token, id]));
  // A chunk of n bytes decodes to at most n characters, plus a held-back '\r' and one character split
  // from the chunk before; lower-casing at most doubles them (İ → i + U+0307).
  const ids = idArrayFor(vocabulary.size, 2 * (CHUNK_BYTES + 2));
  const file = writeTokenFile(path, vocabulary.size, tokens, (write) =>
    readTextChunks(path, (raw) => {
      let count = 0;
      for (const char of vocabulary.normalize(raw)) ids[count++] = index.get(char)!;
      write(ids.subarray(0, count));
    }),
  );
  return { tokenizer: vocabulary, fingerprint: hash, unknown: 0, ...file };
}

/** Word tokens: the first pass counts every piece (or, given a tokenizer, only the tokens), the second writes their ids. */
function readWords(path: string, options: StreamReadOptions, tokenizer?: Tokenizer): StreamCorpus {
  const limit = options.countingLimit ?? MAX_COUNTED_PIECES;
  const counts = new Map<string, number>();
  let forget = 1; // pieces seen fewer times than this have been forgotten
  let hash: string | undefined;
  let tokens = 0;
  const normalize = (text: string) => (tokenizer ? tokenizer.normalize(text) : options.lowercase ? text.toLowerCase() : text);
  readWordParts(
    path,
    (raw) => {
      if (tokenizer) {
        tokens += tokenizer.encode(raw).length;
        return;
      }
      tokens += countWords(normalize(raw), counts);
      // Past the limit, forget the rarest pieces until at most half the limit is left.
      if (counts.size > limit) {
        do {
          forget++;
          for (const [piece, count] of counts) if (count < forget) counts.delete(piece);
        } while (counts.size > limit / 2);
      }
    },
    (raw) => (hash = fingerprint(raw, hash)),
  );
  if (hash === undefined || tokens === 0) throw emptyFile(path);
  const vocabulary = tokenizer ?? wordVocabularyOf(counts, options, path);
  counts.clear();
  let unknown = 0;
  const unknownId = vocabulary.unknownId;
  const file = writeTokenFile(path, vocabulary.size, tokens, (write) =>
    readWordParts(path, (raw) => {
      const ids = vocabulary.encode(raw);
      for (const id of ids) if (id === unknownId) unknown++;
      write(ids);
    }),
  );
  return { tokenizer: vocabulary, fingerprint: hash, unknown, ...file };
}

const emptyFile = (path: string) => new BpttError(`data file ${path} is empty`, 'give a file with some text');

/**
 * A temporary token file holding the ids `produce` writes (`length` of them, below `vocabSize`), deleted
 * by `close` or when the process exits.
 */
function writeTokenFile(
  path: string,
  vocabSize: number,
  length: number,
  produce: (write: (ids: ArrayLike<number>) => void) => void,
): { tokens: FileTokenSource; close(): void } {
  const folder = mkdtempSync(join(tmpdir(), 'bptt-tokens-'));
  const remove = () => rmSync(folder, { recursive: true, force: true });
  process.once('exit', remove);
  const file = join(folder, 'ids');
  const fd = openSync(file, 'w+');
  let buffer = idArrayFor(vocabSize, CHUNK_BYTES);
  let written = 0;
  try {
    produce((ids) => {
      if (buffer.length < ids.length) buffer = idArrayFor(vocabSize, 2 * ids.length);
      buffer.set(ids);
      writeSync(fd, new Uint8Array(buffer.buffer, 0, ids.length * buffer.BYTES_PER_ELEMENT));
      written += ids.length;
    });
    if (written !== length)
      throw new BpttError(`data file ${path} changed while it was read (${length} tokens, then ${written})`, 'train again once nothing writes to it');
  } catch (error) {
    closeSync(fd);
    remove();
    process.removeListener('exit', remove);
    throw error instanceof BpttError ? error : fileError(error, file, 'token file');
  }
  return {
    tokens: new FileTokenSource(fd, length, vocabSize),
    close: () => {
      closeSync(fd);
      remove();
      process.removeListener('exit', remove);
    },
  };
}
