/**
 * A trained model as a program uses it: sample text from it, score text with
 * it, save it. A thin layer over the parts (RnnModel, a Tokenizer, generate(),
 * the model file) for people who want five lines, not the parts.
 */
import { batchFromRows } from '../core/batch.js';
import { BpttError } from '../core/errors.js';
import { textLines } from '../data/sequences.js';
import { encodeModelFile, type StreamReading, type TrainingDataRecord } from '../io/model-file.js';
import type { RnnModel } from '../model/rnn-model.js';
import { generate } from '../sample/generate.js';
import type { Tokenizer } from '../text/tokenizer.js';

/** What `Model.sample` takes; every field is optional. */
export interface SampleOptions {
  /** How many samples (default 10). */
  count?: number;
  /** Below 1: safer, above 1: wilder; 0: always the most likely token (default 1). */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /** Sample only among the most likely tokens that together have probability p. */
  topP?: number;
  /** Text every sample starts with (part of the sample). */
  prime?: string;
  /** Most tokens generated after the prime (default 100). */
  maxLength?: number;
  /** A passage of running text instead of a line: exactly this many tokens after the prime (a line end does not end it). */
  length?: number;
  /** A sample also ends where its text ends with this (cut off); the end of a line always ends one. */
  stop?: string;
  /** Random seed; without one the n-th call of this model's sample() uses seed n, so a program's samples are reproducible and each call gives new ones. */
  seed?: number;
  /**
   * Only samples that are not lines of the training text: `true` compares with the lines this model
   * was trained on (a model from `train()`), or give the lines to compare with.
   */
  novel?: boolean | Iterable<string>;
}

/** How likely a model finds a text, read as one line (the start of a line, its tokens, the end of the line). */
export interface Score {
  /** ln p(text): the sum of the log-probabilities of its tokens and of the line end. */
  logProbability: number;
  /** −logProbability / tokens: the loss the model would have on this text. */
  natsPerToken: number;
  /** Tokens scored, the line end included. */
  tokens: number;
  /**
   * Pieces of the text the vocabulary lacks: characters a character model never saw (left out of
   * the score), or words a word model reads as its unknown token (scored as that token).
   */
  unknown: number;
}

/** How a model from `train()` was trained. */
export interface TrainingSummary {
  /** Validation loss (nats per token) of the kept weights; NaN without validation data. */
  validationLoss: number;
  /** Optimizer steps the run took. */
  steps: number;
  /** Epochs completed. */
  epochs: number;
  /** Seconds of training (validation included). */
  seconds: number;
  /** Whether early stopping ended the run. */
  stoppedEarly: boolean;
}

/** What a Model knows besides its network and tokenizer. */
export interface ModelDetails {
  /** The lines it was trained on, as its tokenizer writes them (for `novel: true`). */
  trainingLines?: readonly string[];
  /** How it was trained (a model from `train()`). */
  training?: TrainingSummary;
  /** A model of running text (mode stream): how it read the text; its documents rule applies when sampling, and the model file keeps it. */
  stream?: StreamReading;
  /** What it was trained on, as its model file records it (name, lines, fingerprint). */
  data?: TrainingDataRecord;
}

/** A trained model with its tokenizer: sample, score, save (`toBytes`). */
export class Model {
  private calls = 0;
  /** The lines it was trained on, as its tokenizer writes them (for `novel: true`); empty when unknown. */
  readonly trainingLines: readonly string[];
  /** How it was trained, for a model from `train()`. */
  readonly training?: TrainingSummary;
  /** How a model of running text read it (mode stream); undefined for models of lines. */
  readonly stream?: StreamReading;
  /** What it was trained on (name, lines, fingerprint), as the model file records it. */
  readonly data?: TrainingDataRecord;

  constructor(
    /** The network (its config, weights and kernels). */
    readonly rnn: RnnModel,
    /** The vocabulary: characters or words. */
    readonly tokenizer: Tokenizer,
    details: ModelDetails = {},
  ) {
    this.trainingLines = details.trainingLines ?? [];
    this.training = details.training;
    this.stream = details.stream;
    this.data = details.data;
  }

  /** New text from the model: `count` samples, each one line. */
  sample(options: SampleOptions = {}): string[] {
    const { novel, seed, ...rest } = options;
    this.calls++;
    return generate(this.rnn, this.tokenizer, { ...rest, documents: this.stream?.documents, seed: seed ?? this.calls, exclude: this.excluded(novel) }).samples;
  }

  /** The lines samples must differ from, as the tokenizer writes them (word models respace text). */
  private excluded(novel: SampleOptions['novel']): Set<string> | undefined {
    if (novel === undefined || novel === false) return undefined;
    if (novel === true) {
      if (this.trainingLines.length === 0)
        throw new BpttError(
          'novel: true needs the lines the model was trained on, which only a model from train() knows',
          'give them: sample({ novel: lines })',
        );
      return new Set(this.trainingLines);
    }
    const tokenizer = this.tokenizer;
    const asWritten = (line: string) => (tokenizer.kind === 'word' ? tokenizer.decode(tokenizer.encode(line)) : line);
    return new Set([...novel].flatMap((text) => textLines(tokenizer.normalize(text))).map(asWritten));
  }

  /** How likely the model finds `text` as one line. */
  score(text: string): Score {
    const tokenizer = this.tokenizer;
    let known = tokenizer.normalize(text);
    let unknown = 0;
    if (tokenizer.unknownId === undefined && tokenizer.unknownCharacter(known) !== undefined) {
      const kept = [...known].filter((char) => tokenizer.unknownCharacter(char) === undefined);
      unknown = [...known].length - kept.length;
      known = kept.join('');
    }
    const ids = tokenizer.encode(known);
    if (tokenizer.unknownId !== undefined) unknown = ids.filter((id) => id === tokenizer.unknownId).length;
    // Eq. 3.2 summed over the line: the model reads '\n' + text and predicts text + '\n'.
    const batch = batchFromRows([[tokenizer.endId, ...ids]], [[...ids, tokenizer.endId]]);
    const nats = this.rnn.forward(batch);
    return { logProbability: -nats, natsPerToken: nats / batch.tokens, tokens: batch.tokens, unknown };
  }

  /** The model file: safetensors bytes, the same file `bptt train` writes (PyTorch loads it; `loadModel` reads it). */
  toBytes(): Uint8Array {
    return encodeModelFile(this.rnn, this.tokenizer, { data: this.data, stream: this.stream });
  }
}
