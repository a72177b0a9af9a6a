/**
 * Beam search: the most likely completions of a prime, without sampling.
 *
 * The log-probability of a completion is Σ_t log ŷ(t)[token t] (3.1), the
 * negative of the loss (3.2)–(3.3) the model was trained on, over every
 * generated token and the end token. Finding the best one exactly would mean
 * trying all V^T sequences; the beam keeps only the K most likely unfinished
 * prefixes after each step, extends each of them by every token, and keeps the
 * K best again. A prefix that was dropped is never revisited, so a narrow beam
 * can miss the best sequence; a beam as wide as the number of prefixes cannot.
 *
 * Dimensions: K beam width, V vocabulary.
 */
import { BpttError } from '../core/errors.js';
import type { RnnModel } from '../model/rnn-model.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { encodePrime, withoutStop } from './generate.js';
import { endsWithStop, logSoftmax, SequenceState } from './sequence-state.js';

/** The options of beamSearch. */
export interface BeamSearchOptions {
  /** Text every completion starts with (it is part of the returned text). */
  prime?: string;
  /** K: prefixes kept after each step, and completions returned. */
  beamWidth: number;
  /** Most tokens generated after the prime; a completion cut there is unfinished. */
  maxLength?: number;
  /**
   * α: completions are ranked by logProbability / tokens^α. 0 (the default)
   * ranks by total log-probability, which favours short completions; 1 by
   * the mean per token.
   */
  lengthPenalty?: number;
  /** A completion also ends when its generated text ends with this text (cut off), as in generate(). */
  stop?: string;
  /** Completions to leave out (e.g. the training names), compared after tokenizer.normalize. */
  exclude?: ReadonlySet<string>;
}

/** One completion beamSearch found, with its probability. */
export interface BeamCompletion {
  /** The prime followed by the generated text (without the stop text). */
  text: string;
  /** The generated token ids after the prime, without the end token. */
  ids: number[];
  /** true: ended by the end token (or the stop text); false: cut at maxLength. */
  finished: boolean;
  /** Σ log p of the generated tokens, and of the end token when it ended the completion (nats). */
  logProbability: number;
  /** logProbability per scored token. */
  meanLogProbability: number;
  /** What the completions are ranked by: logProbability / tokens^lengthPenalty. */
  score: number;
}

interface Prefix {
  ids: number[];
  logProbability: number;
  sequence: SequenceState;
}

/**
 * The beamWidth best completions, best first: finished ones (ended by the end
 * token or the stop text) by score, then, if fewer than K finished, the
 * unfinished ones cut at maxLength, by score. Unfinished completions rank after
 * every finished one because their log-probability lacks the end token's term,
 * so it is not comparable. Empty completions (no prime, the end token at once)
 * and excluded ones are left out, as in generate().
 */
export function beamSearch(model: RnnModel, tokenizer: Tokenizer, options: BeamSearchOptions): BeamCompletion[] {
  const { prime = '', beamWidth: K, maxLength = 100, lengthPenalty = 0, stop, exclude } = options;
  if (!Number.isInteger(K) || K < 1) throw new BpttError(`beam width ${K} is not a positive integer`, 'use a beam width of 1 or more');
  if (!(lengthPenalty >= 0))
    throw new BpttError(`length penalty ${lengthPenalty} is negative`, 'use a length penalty ≥ 0 (0 = total log-probability, 1 = per token)');
  const primeIds = encodePrime(tokenizer, prime, {});
  const end = tokenizer.endId;
  const V = model.config.vocabSize;
  const logProbs = new Float64Array(V);

  /** ending 'end': the end token was scored after ids; 'stop': ids end with the stop text; 'cut': at maxLength. */
  const complete = (ids: number[], logProbability: number, ending: 'end' | 'stop' | 'cut'): BeamCompletion | undefined => {
    const text = withoutStop(tokenizer.continueText(prime, ids), stop);
    if (text === '' || exclude?.has(tokenizer.normalize(text))) return undefined;
    const scored = ids.length + (ending === 'end' ? 1 : 0);
    return {
      text,
      ids,
      finished: ending !== 'cut',
      logProbability,
      meanLogProbability: logProbability / scored,
      score: logProbability / scored ** lengthPenalty,
    };
  };
  const byScore = (a: BeamCompletion, b: BeamCompletion) => b.score - a.score;

  let alive: Prefix[] = [{ ids: [], logProbability: 0, sequence: SequenceState.start(model, tokenizer, primeIds) }];
  let finished: BeamCompletion[] = [];
  for (let length = 0; length < maxLength && alive.length > 0; length++) {
    // Every prefix extended by every token: the end token finishes it, any other token is a candidate prefix.
    const candidates: { parent: Prefix; token: number; logProbability: number }[] = [];
    for (const parent of alive) {
      logSoftmax(logProbs, parent.sequence.logits);
      for (let token = 0; token < V; token++) {
        const logProbability = parent.logProbability + logProbs[token];
        if (token !== end) candidates.push({ parent, token, logProbability });
        else {
          const completion = complete(parent.ids, logProbability, 'end');
          if (completion) finished.push(completion);
        }
      }
    }
    // The beam: the K most likely candidates live on, each with its own copy of the recurrent state.
    candidates.sort((a, b) => b.logProbability - a.logProbability);
    alive = [];
    for (const { parent, token, logProbability } of candidates.slice(0, K)) {
      const ids = [...parent.ids, token];
      if (endsWithStop(tokenizer, ids, stop)) {
        const completion = complete(ids, logProbability, 'stop');
        if (completion) finished.push(completion);
        continue;
      }
      const sequence = parent.sequence.clone();
      sequence.feed(token);
      alive.push({ ids, logProbability, sequence });
    }
    finished = finished.sort(byScore).slice(0, K);
    // Without a length penalty, extending a prefix only lowers its log-probability: once the
    // K-th finished completion beats the best live prefix, nothing can enter the top K any more.
    if (lengthPenalty === 0 && finished.length === K && alive.length > 0 && alive[0].logProbability <= finished[K - 1].score) break;
  }
  const unfinished = alive.flatMap((prefix) => complete(prefix.ids, prefix.logProbability, 'cut') ?? []).sort(byScore);
  return [...finished, ...unfinished].slice(0, K);
}
