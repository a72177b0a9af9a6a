/**
 * Generating text: start from h0 = 0, feed '\n' (the start of a line, as in
 * training), then the prime text, then repeatedly sample a token from
 * softmax(θ/temperature) and feed it back, until '\n' (or the stop text) or
 * the length limit. A passage (`length`, for models of running text) is
 * `length` tokens that go on past line ends, as char-rnn's `-length` does.
 */
import type { FloatArray } from '../core/arrays.js';
import { BpttError } from '../core/errors.js';
import { Random } from '../core/random.js';
import type { RnnModel } from '../model/rnn-model.js';
import type { DocumentBoundary } from '../text/documents.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { argmax, keepTopK, keepTopP, sampleIndex, softmaxWithTemperature } from './sample.js';
import { endsWithStop, SequenceState } from './sequence-state.js';

/** The options of generate. */
export interface GenerateOptions {
  /** Text every sample starts with (it is part of the returned samples). */
  prime?: string;
  count?: number;
  /** 0 picks the most likely token every time (greedy). */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /** Sample only among the most likely tokens that together have probability p. */
  topP?: number;
  /** Most tokens (characters or words) generated after the prime. */
  maxLength?: number;
  /**
   * A passage of running text: exactly this many tokens after the prime (fewer only at `stop`);
   * a line end does not end it. Replaces maxLength.
   */
  length?: number;
  /** Where documents start in running text (the model's training setting): the state resets there. Default 'none'. */
  documents?: DocumentBoundary;
  /**
   * A sample also ends when its generated text ends with this text, which is
   * cut off (the end-of-sequence token always ends a sample).
   */
  stop?: string;
  seed?: number;
  /** Samples to reject (e.g. the training names), to get only novel ones. */
  exclude?: ReadonlySet<string>;
  /** Tries per requested sample before giving up on novelty. */
  maxAttemptsPerSample?: number;
}

/** The samples generate drew, and how many it rejected. */
export interface GenerateResult {
  samples: string[];
  /** Samples drawn in all, rejected ones included. */
  attempts: number;
  /** Of the drawn samples, how many were rejected (empty, or already known). */
  rejected: number;
}

/** Samples `count` lines from a model (see the top of this file); with `exclude`, only lines not in it. */
export function generate(model: RnnModel, tokenizer: Tokenizer, options: GenerateOptions = {}): GenerateResult {
  const { prime = '', count = 10, maxLength = 100, seed = 1, exclude, maxAttemptsPerSample = 100, stop, length, documents } = options;
  const passage = length !== undefined;
  const limit = length ?? maxLength;
  const primeIds = encodePrime(tokenizer, prime, options);
  const random = new Random(seed, SAMPLING_STREAM);
  const probs = new Float64Array(model.config.vocabSize);

  const samples: string[] = [];
  let attempts = 0;
  let rejected = 0;
  while (samples.length < count && attempts < count * maxAttemptsPerSample) {
    attempts++;
    const sequence = SequenceState.start(model, tokenizer, primeIds, documents);
    const generated: number[] = [];
    while (generated.length < limit) {
      const next = chooseToken(sequence.logits, probs, options, random);
      if (next === tokenizer.endId && !passage) break;
      generated.push(next);
      if (endsWithStop(tokenizer, generated, stop)) break;
      sequence.feed(next);
    }
    const text = withoutStop(tokenizer.continueText(prime, generated), stop);
    // An empty sample is no name; a known one is rejected when novelty is asked for.
    if (text === '' || exclude?.has(tokenizer.normalize(text))) {
      rejected++;
      continue;
    }
    samples.push(text);
  }
  return { samples, attempts, rejected };
}

/** The stream of the seeded generator that sampling draws from (generate and explainSample draw alike). */
export const SAMPLING_STREAM = 0x5a3e;

/** Checks the sampling options and encodes the prime. */
export function encodePrime(tokenizer: Tokenizer, prime: string, options: Pick<GenerateOptions, 'temperature'>): number[] {
  const { temperature = 1 } = options;
  if (!(temperature >= 0)) throw new BpttError(`temperature ${temperature} is negative`, 'use a temperature ≥ 0 (1 = the model as trained, 0 = greedy)');
  return tokenizer.encode(prime, `the prime text ${JSON.stringify(prime)}`);
}

/**
 * The next token from the logits θ: the most likely one at temperature 0,
 * else a draw from softmax(θ/temperature) (3.1), restricted to the top k and
 * the top p if asked. `probs` (V) is scratch space.
 */
export function chooseToken(logits: FloatArray, probs: Float64Array, options: Pick<GenerateOptions, 'temperature' | 'topK' | 'topP'>, random: Random): number {
  const { temperature = 1, topK, topP } = options;
  if (temperature === 0) return argmax(logits);
  softmaxWithTemperature(probs, logits, temperature);
  if (topK !== undefined) keepTopK(probs, topK);
  if (topP !== undefined) keepTopP(probs, topP);
  return sampleIndex(probs, random.uniform());
}

/** The text without the stop text it ends with (if it does). */
export function withoutStop(text: string, stop: string | undefined): string {
  return stop && text.endsWith(stop) ? text.slice(0, text.length - stop.length) : text;
}
