/**
 * Where one sequence stands in the model while text is generated or scored:
 * its recurrent state after the tokens fed so far, and the logits θ (2.1) the
 * model gives the next token. Sampling, beam search and explanations all
 * start the same way: h0 = 0, feed the end token (a line's start, as in
 * training), then the prime.
 *
 * Dimensions: H hidden, V vocabulary, S = model.stateSize (per layer h, and
 * for the LSTM then c).
 */
import { allocate, type FloatArray } from '../core/arrays.js';
import type { RnnModel } from '../model/rnn-model.js';
import { startsDocument, type DocumentBoundary } from '../text/documents.js';
import type { Tokenizer } from '../text/tokenizer.js';

/** A sequence being read or generated token by token: the model's state after the tokens fed so far, and the logits for the next one. */
export class SequenceState {
  /** The recurrent state after the tokens fed so far: (S), one row of model.step's layout. */
  readonly state: FloatArray;
  /** θ for the next token: (V). */
  readonly logits: FloatArray;
  private next: FloatArray;
  private readonly id = new Int32Array(1);
  /** The last token fed (−1 before any): a document starts at '\n' after '\n' with documents 'blank-line'. */
  private previous = -1;

  private constructor(
    private readonly model: RnnModel,
    state: FloatArray,
    logits: FloatArray,
    /** Where documents start in running text: the state resets to zero there, as in training (mode stream). */
    private readonly documents: DocumentBoundary = 'none',
    private readonly endId = -1,
  ) {
    this.state = state;
    this.logits = logits;
    this.next = allocate(model.config.dtype, model.stateSize);
  }

  /**
   * h0 = 0, then the end token (the start of a line) and the prime's tokens fed; with `documents`
   * (a model trained on running text) the state resets where a document starts, in the prime and after.
   */
  static start(model: RnnModel, tokenizer: Tokenizer, primeIds: readonly number[], documents: DocumentBoundary = 'none'): SequenceState {
    const { dtype, vocabSize: V } = model.config;
    const sequence = new SequenceState(model, allocate(dtype, model.stateSize), allocate(dtype, V), documents, tokenizer.endId);
    sequence.feed(tokenizer.endId);
    for (const token of primeIds) sequence.feed(token);
    return sequence;
  }

  /** Feeds one token: the state moves to h(t) and logits to θ(t). */
  feed(token: number): void {
    if (this.documents !== 'none' && startsDocument(this.documents, this.previous, token, this.endId)) this.state.fill(0);
    this.previous = token;
    this.id[0] = token;
    this.model.step(this.id, this.state, this.next, this.logits);
    this.state.set(this.next);
  }

  /** An independent copy (beam search branches a sequence). */
  clone(): SequenceState {
    const copy = new SequenceState(this.model, this.state.slice(), this.logits.slice(), this.documents, this.endId);
    copy.previous = this.previous;
    return copy;
  }

  /** The top layer's h(t): (H), the vector the affine layer (2.1) turned into the current logits. A view. */
  topHidden(): FloatArray {
    const { hidden: H, layers: L } = this.model.config;
    const perLayer = this.model.stateSize / L; // h, then c for the LSTM
    return this.state.subarray((L - 1) * perLayer, (L - 1) * perLayer + H);
  }
}

/** out = log softmax(θ) (3.1) in float64: log ŷ_i = θ_i − max − log Σ_j exp(θ_j − max). */
export function logSoftmax(out: Float64Array, logits: ArrayLike<number>): void {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const logSum = max + Math.log(sum);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - logSum;
}

/**
 * Whether the generated tokens' text ends with `stop`. Only the last
 * stop.length tokens are decoded (each token has at least one character), so
 * the check costs the same at any length.
 */
export function endsWithStop(tokenizer: Tokenizer, generated: readonly number[], stop: string | undefined): boolean {
  if (stop === undefined || stop === '') return false;
  return tokenizer.decode(generated.slice(-stop.length)).endsWith(stop);
}
