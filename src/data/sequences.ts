/**
 * Turning a text into training sequences, and sequences into padded batches.
 *
 * A Sequence is one training example: the tokens fed in and, position by
 * position, the token that should come next.
 *
 * Mode 'lines' (the default): each line is one sequence, fed as '\n' + line
 * and predicting line + '\n', starting from h0 = 0. So the model learns how
 * names start, and to end them.
 *
 * Mode 'chunks' (the notebook's): the whole text is cut into consecutive
 * chunks of T + 1 characters; the input is a chunk's first T characters and
 * the target its last T (each character predicts the next).
 */
import { batchFromRows, type Batch } from '../core/batch.js';
import { BpttError } from '../core/errors.js';
import { Random } from '../core/random.js';
import type { Tokenizer } from '../text/tokenizer.js';

/** One training example: the token ids fed in, and at each position the id that should come next. */
export interface Sequence {
  input: number[];
  target: number[];
}

/** 'stream' (long texts, truncated BPTT with carried state) lives in stream.ts. */
export type DataMode = 'lines' | 'chunks' | 'stream';
/** Every DataMode, for option parsers. */
export const DATA_MODES: readonly DataMode[] = ['lines', 'chunks', 'stream'];

/** Lines longer than this are better served by mode 'chunks'. */
export const MAX_LINE_LENGTH = 2000;

/** Splits a text into its non-empty lines; '\r\n' and '\r' count as line ends. */
export function textLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((line) => line.length > 0);
}

/** Mode lines: each line as a sequence, fed as "\n" + line and predicting line + "\n" (a line over MAX_LINE_LENGTH tokens fails). */
export function lineSequences(lines: readonly string[], tokenizer: Tokenizer, source = 'the data'): Sequence[] {
  const end = tokenizer.endId;
  return lines.map((line, i) => {
    // Characters are checked before encoding: a 50 MB line is refused at once instead of after building its 50 million ids.
    const characters = line.length > MAX_LINE_LENGTH ? codePointCount(line) : line.length;
    const ids = tokenizer.unit === 'char' && characters > MAX_LINE_LENGTH ? undefined : tokenizer.encode(line, `${source}, line ${i + 1}`);
    if (ids === undefined || ids.length > MAX_LINE_LENGTH) {
      const length = ids === undefined ? `${characters} characters` : `${ids.length} tokens`;
      throw new BpttError(`${source}: line ${i + 1} is ${length} long (limit ${MAX_LINE_LENGTH} in mode lines)`, 'use --mode chunks for running text');
    }
    return { input: [end, ...ids], target: [...ids, end] };
  });
}

/** How chunkSequences cuts a text. */
export interface ChunkOptions {
  /** T: steps per chunk; a chunk holds T + 1 characters. */
  steps: number;
  /**
   * The notebook's quirk: it strip()s each chunk and keeps it only if it is
   * still T + 1 long, so every chunk that begins or ends with whitespace
   * (a '\n' between names) is dropped, and so is a short last chunk.
   */
  dropWhitespaceEdges: boolean;
}

/** Mode chunks: the text cut into consecutive chunks of T + 1 tokens, each predicting its own next tokens. */
export function chunkSequences(text: string, tokenizer: Tokenizer, options: ChunkOptions, source = 'the data'): Sequence[] {
  const ids = tokenizer.encode(text, source);
  const size = options.steps + 1;
  const sequences: Sequence[] = [];
  for (let start = 0; start + 1 < ids.length; start += size) {
    const chunk = ids.slice(start, start + size);
    if (options.dropWhitespaceEdges) {
      const first = tokenizer.tokens[chunk[0]];
      const last = tokenizer.tokens[chunk[chunk.length - 1]];
      if (chunk.length < size || isPythonWhitespace(first) || isPythonWhitespace(last)) continue;
    }
    sequences.push({ input: chunk.slice(0, -1), target: chunk.slice(1) });
  }
  return sequences;
}

/** The number of code points (characters) of a text: its UTF-16 length minus its surrogate pairs. */
function codePointCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff || i === 0 || (text.charCodeAt(i - 1) & 0xfc00) !== 0xd800) count++;
  }
  return count;
}

/** The characters Python's str.strip() removes by default. */
function isPythonWhitespace(token: string): boolean {
  // eslint-disable-next-line no-control-regex -- the file, group, record and unit separators are Python whitespace
  return /^[\s\x1c-\x1f\x85]$/u.test(token);
}

/** Splits off a seeded random fraction of the sequences for validation. */
export function splitValidation<T>(items: readonly T[], fraction: number, seed: number): { train: T[]; validation: T[] } {
  const count = Math.round(items.length * fraction);
  const order = new Random(seed, 0x5eed).shuffle(items.map((_, i) => i));
  const held = new Set(order.slice(0, count));
  return { train: items.filter((_, i) => !held.has(i)), validation: items.filter((_, i) => held.has(i)) };
}

/** Padded batches of the given sequences, in the given order, `batchSize` at a time. */
export function* batches(sequences: readonly Sequence[], order: readonly number[], batchSize: number): Generator<Batch> {
  for (let start = 0; start < order.length; start += batchSize) {
    const picked = order.slice(start, start + batchSize).map((i) => sequences[i]);
    yield batchFromRows(
      picked.map((s) => s.input),
      picked.map((s) => s.target),
    );
  }
}

/**
 * The order of `count` training sequences in epoch `epoch`: a seeded shuffle of every epoch, the first
 * included (a list sorted by name would otherwise teach its first letters first); or, with
 * `firstEpochInOrder` (the seed notebook), the data order in epoch 0; or the data order always.
 */
export function epochOrder(count: number, epoch: number, options: { shuffle: boolean; firstEpochInOrder?: boolean; seed: number }): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  if (options.shuffle && (epoch > 0 || !options.firstEpochInOrder)) new Random(options.seed, epoch).shuffle(order);
  return order;
}
