/**
 * Explaining one sample token by token: how likely the model found each
 * token it produced, which tokens it found most likely instead, and the
 * hidden state h(t) behind that prediction. Given a text instead, it explains
 * that text: the sum of its tokens' log-probabilities is the text's score
 * (the negative of the loss (3.3)).
 *
 * Dimensions: H hidden (of the top layer), V vocabulary.
 */
import type { FloatArray } from '../core/arrays.js';
import { BpttError } from '../core/errors.js';
import { Random } from '../core/random.js';
import type { RnnModel } from '../model/rnn-model.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { chooseToken, encodePrime, SAMPLING_STREAM, withoutStop, type GenerateOptions } from './generate.js';
import { endsWithStop, logSoftmax, SequenceState } from './sequence-state.js';

/** One token of an explained sample: its probability, the likeliest alternatives, and the hidden state behind the prediction. */
export interface ExplainedToken {
  id: number;
  /** tokenizer.decode([id]); "\n" for the end token. */
  text: string;
  /** ŷ(t)[id] (3.1) at temperature 1, whatever temperature the token was drawn at. */
  probability: number;
  /** Its natural logarithm. */
  logProbability: number;
  /** The most likely other tokens, most likely first. */
  alternatives: { id: number; text: string; probability: number }[];
  /** The top layer's h(t) that produced this prediction through θ = U h + b2 (2.1): (H). */
  hidden: Float32Array;
}

/** A sample (or a given text) token by token, with its total log-probability. */
export interface Explanation {
  /** The prime: fed to the model, not explained. */
  prime: string;
  /** The explained text after the prime (without the end token or the stop text). */
  text: string;
  /** Every explained token, the end token included when it ended the text. */
  tokens: ExplainedToken[];
  /** Σ of the tokens' log-probabilities (nats). */
  logProbability: number;
  /** −logProbability per token. */
  natsPerToken: number;
}

/** The options of explainSample: those of generate, and what to explain. */
export interface ExplainOptions extends GenerateOptions {
  /** How many other tokens to list per token (default 5). */
  alternatives?: number;
  /** Explain this text (after the prime, then the end token) instead of a sample. */
  text?: string;
}

/**
 * One sample drawn as generate() draws its first (the same options give the
 * same text: empty and excluded samples are drawn again), or the given text,
 * explained. count does not apply.
 */
export function explainSample(model: RnnModel, tokenizer: Tokenizer, options: ExplainOptions = {}): Explanation {
  const { prime = '', seed = 1, exclude, maxAttemptsPerSample = 100 } = options;
  const primeIds = encodePrime(tokenizer, prime, options);
  if (options.text !== undefined) {
    // A given text is followed by the end token, as `bptt score` scores a line.
    const given = [...tokenizer.encode(options.text, `the text ${JSON.stringify(options.text)}`), tokenizer.endId];
    return { ...explainTokens(model, tokenizer, primeIds, options, given), text: options.text };
  }
  const random = new Random(seed, SAMPLING_STREAM);
  const probs = new Float64Array(model.config.vocabSize);
  for (let attempt = 0; attempt < maxAttemptsPerSample; attempt++) {
    const explanation = explainTokens(model, tokenizer, primeIds, options, (logits) => chooseToken(logits, probs, options, random));
    const sample = prime + explanation.text;
    if (sample !== '' && !exclude?.has(tokenizer.normalize(sample))) return explanation;
  }
  throw new BpttError(`no sample to explain in ${maxAttemptsPerSample} tries: each was empty or excluded`, 'try a higher temperature');
}

/**
 * Feeds '\n' and the prime, then explains token after token: the given list
 * whole, or tokens drawn from the current logits θ until the end token, the
 * stop text or maxLength.
 */
function explainTokens(
  model: RnnModel,
  tokenizer: Tokenizer,
  primeIds: number[],
  options: ExplainOptions,
  source: readonly number[] | ((logits: FloatArray) => number),
): Explanation {
  const { prime = '', maxLength = 100, stop, alternatives = 5 } = options;
  const sampling = typeof source === 'function';
  const limit = typeof source === 'function' ? maxLength : source.length; // tokens to explain at most
  const logProbs = new Float64Array(model.config.vocabSize);
  const sequence = SequenceState.start(model, tokenizer, primeIds);
  const tokens: ExplainedToken[] = [];
  const generated: number[] = [];
  while (tokens.length < limit) {
    const id = typeof source === 'function' ? source(sequence.logits) : source[tokens.length];
    logSoftmax(logProbs, sequence.logits);
    tokens.push({
      id,
      text: tokenizer.decode([id]),
      probability: Math.exp(logProbs[id]),
      logProbability: logProbs[id],
      alternatives: mostLikelyOthers(logProbs, id, alternatives).map((other) => ({
        id: other,
        text: tokenizer.decode([other]),
        probability: Math.exp(logProbs[other]),
      })),
      hidden: Float32Array.from(sequence.topHidden()),
    });
    if (sampling) {
      if (id === tokenizer.endId) break;
      generated.push(id);
      if (endsWithStop(tokenizer, generated, stop)) break;
    }
    sequence.feed(id);
  }
  const logProbability = tokens.reduce((sum, token) => sum + token.logProbability, 0);
  return {
    prime,
    text: withoutStop(tokenizer.decode(generated), stop),
    tokens,
    logProbability,
    natsPerToken: tokens.length > 0 ? -logProbability / tokens.length : 0,
  };
}

/** The `count` tokens other than `chosen` with the highest log-probabilities, best first. */
function mostLikelyOthers(logProbs: Float64Array, chosen: number, count: number): number[] {
  return Array.from(logProbs.keys())
    .filter((id) => id !== chosen)
    .sort((a, b) => logProbs[b] - logProbs[a])
    .slice(0, count);
}
