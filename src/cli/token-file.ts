/**
 * Mode stream's data in Node, with memory that does not grow with the file:
 * the text is read in chunks of CHUNK_BYTES, twice. The first pass collects
 * the distinct characters (the vocabulary) and the fingerprint; the second
 * encodes each chunk into one reused buffer of ids, 1, 2 or 4 bytes each, and
 * appends it to a temporary file. Training then reads one window at a time from that file
 * (FileTokenSource), so neither the text nor its ids are ever held whole.
 * TextDecoder's stream mode joins UTF-8 sequences split across chunks.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpttError } from '../core/errors.js';
import { idArrayFor, type TokenSource } from '../data/stream.js';
import type { CharTokenizer } from '../text/char-tokenizer.js';
import { checkVocabulary, fingerprint } from '../train/recipe.js';
import { fileError } from './files.js';

/**
 * 64 KB: a chunk's decoded text (and the ids buffer) stay small objects that V8's young generation
 * collects right away; chunks of megabytes would go to its large-object space, which is only
 * swept by full collections, so the garbage of a long read would pile up first.
 */
export const CHUNK_BYTES = 1 << 16;

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
  tokenizer: CharTokenizer;
  tokens: FileTokenSource;
  /** The fingerprint of the text, as recipe.fingerprint gives for the whole text. */
  fingerprint: string;
  /** Closes and deletes the token file. */
  close(): void;
}

/**
 * Reads a text file for mode stream: its vocabulary (or checks it against `tokenizer`) and its ids
 * in a temporary token file. Memory: a chunk of text and the vocabulary, whatever the file's size.
 */
export function readStreamCorpus(path: string, options: { lowercase: boolean }, tokenizer?: CharTokenizer): StreamCorpus {
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
  if (hash === undefined || distinct.size === 0) throw new BpttError(`data file ${path} is empty`, 'give a file with some text');
  const vocabulary = checkVocabulary(distinct, path, options, tokenizer);

  const folder = mkdtempSync(join(tmpdir(), 'bptt-tokens-'));
  const remove = () => rmSync(folder, { recursive: true, force: true });
  process.once('exit', remove);
  const file = join(folder, 'ids');
  const fd = openSync(file, 'w+');
  // Every character is in the vocabulary now (checked above): encode straight into one buffer.
  const index = new Map<string, number>(vocabulary.tokens.map((token: string, id: number) => [token, id]));
  // A chunk of n bytes decodes to at most n characters, plus a held-back '\r' and one character split
  // from the chunk before; lower-casing at most doubles them (İ → i + U+0307).
  const ids = idArrayFor(vocabulary.size, 2 * (CHUNK_BYTES + 2));
  try {
    readTextChunks(path, (raw) => {
      let count = 0;
      for (const char of vocabulary.normalize(raw)) ids[count++] = index.get(char)!;
      writeSync(fd, new Uint8Array(ids.buffer, 0, count * ids.BYTES_PER_ELEMENT));
    });
  } catch (error) {
    closeSync(fd);
    remove();
    throw error instanceof BpttError ? error : fileError(error, file, 'token file');
  }
  return {
    tokenizer: vocabulary,
    tokens: new FileTokenSource(fd, tokens, vocabulary.size),
    fingerprint: hash,
    close: () => {
      closeSync(fd);
      remove();
      process.removeListener('exit', remove);
    },
  };
}
