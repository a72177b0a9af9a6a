/**
 * Mode 'stream': a long text as B parallel streams, trained window by window
 * (truncated BPTT), as char-rnn and PyTorch's word_language_model do.
 *
 * The token ids of a region of the text (the training part, or the held-out
 * end) are cut into B contiguous segments of L positions each, one per batch
 * row ("batchify"); position i feeds x(i) and predicts x(i + 1). Window w holds
 * positions [w·T, (w + 1)·T) of every segment (the last window may be
 * shorter), so consecutive windows of a row are consecutive text, and the
 * trainer starts each window from the state the previous one ended in.
 *
 * Documents: a row's state is reset to zero at a document boundary (see
 * text/documents.ts), exactly at the step where the next document starts
 * (batch.resets), even mid-window.
 * The step that resets reads '\n' from h = 0 and predicts the document's first
 * character, exactly as mode 'lines' starts each name.
 *
 * Memory: the ids come from a TokenSource, read one window at a time; nothing
 * here holds more than one window (B × (T + 2) ids) of the text.
 */
import { batchArrays, type Batch } from '../core/batch.js';
import { BpttError } from '../core/errors.js';
import { startsDocument, type DocumentBoundary } from '../text/documents.js';

export { DOCUMENT_BOUNDARIES, type DocumentBoundary } from '../text/documents.js';

/** Token ids of a text, read on demand: an array in memory, or a file (see src/cli/token-file.ts). */
export interface TokenSource {
  /** N: tokens in the text. */
  readonly length: number;
  /** Copies the ids of tokens [start, start + out.length) into out. */
  read(start: number, out: Int32Array): void;
}

/** Ids held in a typed array (in a browser, or for a text that fits in memory). */
export class ArrayTokenSource implements TokenSource {
  constructor(readonly ids: Uint8Array | Uint16Array | Uint32Array | Int32Array) {}

  get length(): number {
    return this.ids.length;
  }

  read(start: number, out: Int32Array): void {
    out.set(this.ids.subarray(start, start + out.length));
  }
}

/** The smallest unsigned typed array that holds ids below vocabSize: 1, 2 or 4 bytes per token. */
export function idArrayFor(vocabSize: number, length: number): Uint8Array | Uint16Array | Uint32Array {
  return vocabSize <= 0x100 ? new Uint8Array(length) : vocabSize <= 0x10000 ? new Uint16Array(length) : new Uint32Array(length);
}

/** How a token stream is cut into parallel streams and windows. */
export interface StreamOptions {
  /** B: parallel streams (batch rows). */
  streams: number;
  /** T: steps per window (the truncation length of BPTT). */
  steps: number;
  documents: DocumentBoundary;
  /** The id of '\n'. */
  endId: number;
}

/** Tokens [from, to) of a source as B streams, read window by window. */
export class TokenStreams {
  /** L: positions (input, target pairs) per stream. */
  readonly streamLength: number;
  private readonly scratch: Int32Array;

  constructor(
    readonly source: TokenSource,
    readonly from: number,
    readonly to: number,
    readonly options: StreamOptions,
  ) {
    // to − from tokens give to − from − 1 positions; the remainder after B equal parts is dropped.
    this.streamLength = Math.floor((to - from - 1) / options.streams);
    if (this.streamLength < 1) {
      throw new BpttError(`${to - from} tokens are too few for ${options.streams} streams`, 'give a longer text, or a smaller --batch (or --val)');
    }
    this.scratch = new Int32Array(options.steps + 2);
  }

  get streams(): number {
    return this.options.streams;
  }

  /** Windows per pass: ⌈L / T⌉. */
  get windows(): number {
    return Math.ceil(this.streamLength / this.options.steps);
  }

  /** Real (predicted) tokens per pass: B·L. */
  get tokens(): number {
    return this.streams * this.streamLength;
  }

  /**
   * Window w as a batch, time-major (see core/batch.ts): T steps (fewer in the
   * last window) of every stream, in stream order, with resets where a
   * document starts.
   */
  window(w: number): Batch {
    const { streams: B, steps, documents, endId } = this.options;
    const T = Math.min(steps, this.streamLength - w * steps);
    if (w < 0 || T <= 0) throw new RangeError(`window ${w} is outside 0..${this.windows - 1}`);
    const { inputs, targets, mask, activeRows } = batchArrays(T, B);
    const resets = new Uint8Array(T * B);
    let anyReset = false;
    for (let b = 0; b < B; b++) {
      const start = this.from + b * this.streamLength + w * steps; // the window's first position in the text
      // Tokens start − 1 .. start + T: the one before (to see a "\n\n" across the window's edge), then T + 1.
      const before = start > this.from ? 1 : 0;
      const ids = this.scratch.subarray(0, before + T + 1);
      this.source.read(start - before, ids);
      for (let t = 0; t < T; t++) {
        const input = ids[before + t];
        inputs[t * B + b] = input;
        targets[t * B + b] = ids[before + t + 1];
        const previous = before + t > 0 ? ids[before + t - 1] : -1;
        if (startsDocument(documents, previous, input, endId)) {
          resets[t * B + b] = 1;
          anyReset = true;
        }
      }
    }
    const batch: Batch = { steps: T, rows: B, inputs, targets, mask: mask.fill(1), tokens: T * B, activeRows: activeRows.fill(B) };
    if (anyReset) batch.resets = resets;
    return batch;
  }
}

/**
 * The training and validation streams of a text: the last `validationFraction`
 * of the tokens, at most `validationLimit`, is held out (its own streams, so
 * validation text is never trained on), the rest trains.
 */
export function splitStreams(
  source: TokenSource,
  validationFraction: number,
  options: StreamOptions,
  validationLimit = Infinity,
): { train: TokenStreams; validation?: TokenStreams } {
  const held = Math.min(validationLimit, Math.floor(source.length * validationFraction));
  const train = new TokenStreams(source, 0, source.length - held, options);
  if (held === 0) return { train };
  return { train, validation: heldOutStreams(source, source.length - held, options) };
}

/**
 * Tokens [from, N) held out, as streams: as many as they have windows' worth of tokens, at most B.
 * The same layout for the held-out end of a training text and for a whole text given to
 * `bptt eval` (from = 0): evaluating the held-out part, written to a file of its own, gives the
 * loss training reported.
 */
export function heldOutStreams(source: TokenSource, from: number, options: StreamOptions): TokenStreams {
  // The held-out part is short: as many streams as it has windows' worth of tokens, at most B.
  const held = source.length - from;
  const streams = Math.max(1, Math.min(options.streams, Math.floor((held - 1) / options.steps)));
  return new TokenStreams(source, from, source.length, { ...options, streams });
}
