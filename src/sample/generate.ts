/**
 * Generating text: start from h0 = 0, feed '\n' (the start of a line, as in
 * training), then the prime text, then repeatedly sample a token from
 * softmax(θ/temperature) and feed it back, until '\n' or the length limit.
 */
import { allocate, type FloatArray } from '../core/arrays.js';
import { BpttError } from '../core/errors.js';
import { Random } from '../core/random.js';
import type { RnnModel } from '../model/rnn-model.js';
import type { CharTokenizer } from '../text/char-tokenizer.js';
import { argmax, keepTopK, keepTopP, sampleIndex, softmaxWithTemperature } from './sample.js';

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
  /** Most characters generated after the prime. */
  maxLength?: number;
  seed?: number;
  /** Samples to reject (e.g. the training names), to get only novel ones. */
  exclude?: ReadonlySet<string>;
  /** Tries per requested sample before giving up on novelty. */
  maxAttemptsPerSample?: number;
}

export interface GenerateResult {
  samples: string[];
  /** Samples drawn in all, rejected ones included. */
  attempts: number;
  /** Of the drawn samples, how many were rejected (empty, or already known). */
  rejected: number;
}

export function generate(model: RnnModel, tokenizer: CharTokenizer, options: GenerateOptions = {}): GenerateResult {
  const { prime = '', count = 10, temperature = 1, maxLength = 100, seed = 1, exclude, maxAttemptsPerSample = 100, topK, topP } = options;
  if (!(temperature >= 0)) throw new BpttError(`temperature ${temperature} is negative`, 'use a temperature ≥ 0 (1 = the model as trained, 0 = greedy)');
  const primeIds = tokenizer.encode(prime, `the prime text ${JSON.stringify(prime)}`);
  const random = new Random(seed, 0x5a3e);
  const { vocabSize: V, dtype } = model.config;
  let h = allocate(dtype, model.stateSize); // the recurrent state: h, and for the LSTM also c
  let hNext = allocate(dtype, model.stateSize);
  const logits = allocate(dtype, V);
  const probs = new Float64Array(V);
  const id = new Int32Array(1);
  const end = tokenizer.endId;

  const feed = (token: number) => {
    id[0] = token;
    model.step(id, h, hNext, logits);
    [h, hNext] = [hNext, h];
  };

  const samples: string[] = [];
  let attempts = 0;
  let rejected = 0;
  while (samples.length < count && attempts < count * maxAttemptsPerSample) {
    attempts++;
    h.fill(0);
    feed(end);
    for (const token of primeIds) feed(token);
    const generated: number[] = [];
    while (generated.length < maxLength) {
      const next = nextToken(logits, probs, { temperature, topK, topP }, random);
      if (next === end) break;
      generated.push(next);
      feed(next);
    }
    const text = prime + tokenizer.decode(generated);
    // An empty sample is no name; a known one is rejected when novelty is asked for.
    if (text === '' || exclude?.has(tokenizer.normalize(text))) {
      rejected++;
      continue;
    }
    samples.push(text);
  }
  return { samples, attempts, rejected };
}

/**
 * The next token from the logits θ: the most likely one at temperature 0,
 * else a draw (one random number) from softmax(θ/temperature), cut to the
 * top k and/or top p. `probs` (V) is scratch space.
 */
export function nextToken(logits: FloatArray, probs: Float64Array, options: Pick<GenerateOptions, 'temperature' | 'topK' | 'topP'>, random: Random): number {
  const { temperature = 1, topK, topP } = options;
  if (temperature === 0) return argmax(logits);
  softmaxWithTemperature(probs, logits, temperature);
  if (topK !== undefined) keepTopK(probs, topK);
  if (topP !== undefined) keepTopP(probs, topP);
  return sampleIndex(probs, random.uniform());
}
