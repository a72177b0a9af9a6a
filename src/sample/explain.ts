/**
 * Inside a sample: generate one sample as generate() does (same seed, same
 * text) and keep, for every character, what the model thought when it chose
 * it: its probability under the model's own distribution ŷ = softmax(θ) (3.1),
 * the most likely alternatives, and the top layer's hidden state h that
 * produced that distribution.
 *
 * The prime's characters are listed too (scored, not drawn), and so is the
 * closing '\n' when the model ended the sample.
 */
import { allocate } from '../core/arrays.js';
import { BpttError } from '../core/errors.js';
import { Random } from '../core/random.js';
import { statesPerUnit } from '../model/config.js';
import type { RnnModel } from '../model/rnn-model.js';
import type { CharTokenizer } from '../text/char-tokenizer.js';
import { nextToken, type GenerateOptions } from './generate.js';
import { softmaxWithTemperature } from './sample.js';

export interface ExplainOptions extends Pick<GenerateOptions, 'prime' | 'temperature' | 'topK' | 'topP' | 'maxLength' | 'seed'> {
  /** How many of the most likely tokens to list at each position. */
  alternatives?: number;
}

export interface ExplainedToken {
  id: number;
  text: string;
  /** ŷ(t) of this token under the model (temperature 1). */
  probability: number;
  logProbability: number;
  /** The most likely tokens at this position, most likely first (this one included if it is among them). */
  alternatives: { id: number; text: string; probability: number }[];
  /** (H) the top layer's h(t−1): the state whose output θ gave these probabilities. */
  hidden: Float32Array;
}

export interface ExplainedSample {
  prime: string;
  /** The sample, prime included, without the closing '\n'. */
  text: string;
  tokens: ExplainedToken[];
  /** Σ log ŷ of the tokens: the log-probability of the whole sample (and its end, if it ended). */
  logProbability: number;
  natsPerToken: number;
}

export function explainSample(model: RnnModel, tokenizer: CharTokenizer, options: ExplainOptions = {}): ExplainedSample {
  const { prime = '', temperature = 1, topK, topP, maxLength = 100, seed = 1, alternatives = 5 } = options;
  if (!(temperature >= 0)) throw new BpttError(`temperature ${temperature} is negative`, 'use a temperature ≥ 0 (1 = the model as trained, 0 = greedy)');
  const primeIds = tokenizer.encode(prime, `the prime text ${JSON.stringify(prime)}`);
  // The same stream of random numbers as generate(), so the same seed gives the same sample.
  const random = new Random(seed, 0x5a3e);
  const { vocabSize: V, hidden: H, dtype } = model.config;
  const topState = model.stateSize - statesPerUnit(model.config.cell) * H; // the top layer's h in one row's state
  let state = allocate(dtype, model.stateSize);
  let next = allocate(dtype, model.stateSize);
  const logits = allocate(dtype, V);
  const probs = new Float64Array(V);
  const modelProbabilities = new Float64Array(V);
  const id = new Int32Array(1);
  const end = tokenizer.endId;
  const tokens: ExplainedToken[] = [];

  const feed = (token: number) => {
    id[0] = token;
    model.step(id, state, next, logits);
    [state, next] = [next, state];
  };
  /** Records the token chosen at this position, with the distribution it was chosen from. */
  const record = (token: number) => {
    softmaxWithTemperature(modelProbabilities, logits, 1); // the model's own ŷ (3.1), whatever the sampling temperature
    const ranked = Array.from(modelProbabilities.keys()).sort((a, b) => modelProbabilities[b] - modelProbabilities[a]).slice(0, alternatives);
    tokens.push({
      id: token,
      text: tokenizer.tokens[token],
      probability: modelProbabilities[token],
      logProbability: Math.log(modelProbabilities[token]),
      alternatives: ranked.map((i) => ({ id: i, text: tokenizer.tokens[i], probability: modelProbabilities[i] })),
      hidden: Float32Array.from(state.subarray(topState, topState + H)),
    });
  };

  feed(end);
  for (const token of primeIds) {
    record(token);
    feed(token);
  }
  const generated: number[] = [];
  while (generated.length < maxLength) {
    const token = nextToken(logits, probs, { temperature, topK, topP }, random);
    record(token);
    if (token === end) break;
    generated.push(token);
    feed(token);
  }
  const logProbability = tokens.reduce((sum, t) => sum + t.logProbability, 0);
  return { prime, text: prime + tokenizer.decode(generated), tokens, logProbability, natsPerToken: tokens.length > 0 ? -logProbability / tokens.length : NaN };
}
