/**
 * A recipe: everything that defines a training run (data preparation, model
 * architecture, optimisation), with bptt's defaults and the seed notebook's
 * preset. The CLI's flags and the browser's controls both edit a recipe.
 */
import type { DType } from '../core/arrays.js';
import { BpttError } from '../core/errors.js';
import { chunkSequences, lineSequences, splitValidation, textLines, type DataMode, type Sequence } from '../data/sequences.js';
import type { Cell, InitScheme, ModelConfig } from '../model/config.js';
import type { Activation } from '../nn/activation.js';
import { CharTokenizer, END_OF_SEQUENCE } from '../text/char-tokenizer.js';
import type { TrainOptions } from './trainer.js';

export interface Recipe {
  mode: DataMode;
  /** T for mode 'chunks' (chunks hold T + 1 characters). */
  seqLength: number;
  lowercase: boolean;
  /** The notebook's strip() quirk in mode 'chunks' (see chunkSequences). */
  dropWhitespaceChunks: boolean;
  /** Fraction of lines (or chunks) held out for validation. */
  validationFraction: number;
  cell: Cell;
  /** Stacked recurrent layers. */
  layers: number;
  /** Dropout between layers during training (0 = none). */
  dropout?: number;
  /** LSTM only: the forget gate's initial bias (see ModelConfig.forgetBias). */
  forgetBias?: number;
  activation: Activation;
  hidden: number;
  embed: number;
  init: InitScheme;
  dtype: DType;
  batchSize: number;
  learningRate: number;
  clip: number;
  epochs?: number;
  timeSeconds?: number;
  steps?: number;
  shuffle: boolean;
  seed: number;
  /** Early stopping: epochs without a better validation loss before training stops. */
  patience?: number;
}

/**
 * bptt's defaults: the best validation loss found on the dinosaur names
 * (README, "The defaults, and why"): the seed's own sigmoid RNN with 192
 * hidden units on a learned 16-dimensional embedding, Adagrad 0.1 with
 * clipping at 5, small batches of 16 names, 25 epochs (about 10 seconds with
 * the WebAssembly kernels; later epochs only overfit these 1,318 names).
 */
export const DEFAULT_RECIPE: Recipe = {
  mode: 'lines',
  seqLength: 32,
  lowercase: false,
  dropWhitespaceChunks: false,
  validationFraction: 0.1,
  cell: 'rnn',
  layers: 1,
  activation: 'sigmoid',
  hidden: 192,
  embed: 16,
  init: 'scaled',
  dtype: 'float32',
  batchSize: 16,
  learningRate: 0.1,
  clip: 5,
  epochs: 25,
  shuffle: true,
  seed: 1,
};

/**
 * The seed's notebook, exactly: the lower-cased text cut into chunks of 16
 * characters (T = 15) with its strip() quirk, batches of 512 in order, a
 * sigmoid RNN with D_h = 256 on one-hot input, weights ~ N(0, 1), Adagrad 0.1,
 * clipping to ±5, 400 epochs, float64, no validation split.
 */
export const SEED_PRESET: Recipe = {
  mode: 'chunks',
  seqLength: 15,
  lowercase: true,
  dropWhitespaceChunks: true,
  validationFraction: 0,
  cell: 'rnn',
  layers: 1,
  activation: 'sigmoid',
  hidden: 256,
  embed: 0,
  init: 'seed',
  dtype: 'float64',
  batchSize: 512,
  learningRate: 0.1,
  clip: 5,
  epochs: 400,
  shuffle: true,
  seed: 1,
};

export const PRESETS: Record<string, Recipe> = { seed: SEED_PRESET };

export interface PreparedData {
  tokenizer: CharTokenizer;
  train: Sequence[];
  validation: Sequence[];
  /** The data's lines (for rejecting samples that are copies of the training data). */
  lines: string[];
}

/**
 * Text → tokenizer and train/validation sequences. Pass `tokenizer` to reuse a
 * model's vocabulary (every character of the text must be in it).
 */
export function prepareData(rawText: string, recipe: Recipe, source: string, tokenizer?: CharTokenizer): PreparedData {
  const text = tokenizer ? tokenizer.normalize(rawText) : recipe.lowercase ? rawText.toLowerCase() : rawText;
  const distinct = new Set<string>();
  for (const char of text) if (char !== END_OF_SEQUENCE) distinct.add(char); // no array of every character: the text may be 50 MB
  if (distinct.size < 2) {
    throw new BpttError(`${source} has ${distinct.size === 0 ? 'no characters' : `only one distinct character (${JSON.stringify([...distinct][0])})`} besides line ends`, 'there is nothing to learn; give a text with at least two different characters');
  }
  const vocabulary = tokenizer ?? CharTokenizer.fromText(text, { lowercase: recipe.lowercase });
  const unknown = vocabulary.unknownCharacter(text);
  if (unknown !== undefined) {
    throw new BpttError(`${source} contains ${JSON.stringify(unknown)}, which is not in the model's vocabulary`, 'train a new model on this data instead of starting from --init/--resume');
  }
  const lines = textLines(text);
  const sequences =
    recipe.mode === 'lines'
      ? lineSequences(lines, vocabulary, source)
      : chunkSequences(text, vocabulary, { steps: recipe.seqLength, dropWhitespaceEdges: recipe.dropWhitespaceChunks }, source);
  if (sequences.length === 0) throw new BpttError(`${source} yields no training sequences in mode ${recipe.mode}`, 'give more text or a shorter --seq-length');
  const { train, validation } = splitValidation(sequences, recipe.validationFraction, recipe.seed);
  if (train.length === 0) throw new BpttError(`${source}: no sequences are left for training after the validation split`, 'lower --val or give more data');
  return { tokenizer: vocabulary, train, validation, lines };
}

export function modelConfigOf(recipe: Recipe, vocabSize: number): ModelConfig {
  // Checkpoints written before the LSTM existed have no cell: they are vanilla RNNs.
  return { cell: recipe.cell ?? 'rnn', activation: recipe.activation, vocabSize, hidden: recipe.hidden, embed: recipe.embed, layers: recipe.layers ?? 1, dtype: recipe.dtype, init: recipe.init, forgetBias: recipe.forgetBias, dropout: recipe.dropout };
}

export function trainOptionsOf(recipe: Recipe): TrainOptions {
  return {
    batchSize: recipe.batchSize,
    learningRate: recipe.learningRate,
    clip: recipe.clip,
    epochs: recipe.epochs,
    timeBudgetSeconds: recipe.timeSeconds,
    maxSteps: recipe.steps,
    shuffle: recipe.shuffle,
    seed: recipe.seed,
    patience: recipe.patience,
  };
}

/** A short fingerprint of a text (FNV-1a, 32 bits), to check a resumed run sees the same data. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
