/**
 * The training options a person types: the `bptt train` flags in camelCase
 * (`--seq-length` → `seqLength`, `--lr` → `lr`), every one optional. The CLI
 * and the library's `train()` both turn them into a Recipe here, so the rules
 * (an optimizer's own default learning rate, clipping by norm replacing the
 * elementwise clip, a budget replacing the default epochs) live in one place.
 */
import { DTYPES, type DType } from '../core/arrays.js';
import { BpttError } from '../core/errors.js';
import { DATA_MODES, type DataMode } from '../data/sequences.js';
import { DOCUMENT_BOUNDARIES, type DocumentBoundary } from '../data/stream.js';
import { MAX_LAYERS } from '../io/model-file.js';
import { CELLS, type Cell } from '../model/config.js';
import { ACTIVATIONS, type Activation } from '../nn/activation.js';
import { DEFAULT_LEARNING_RATES, OPTIMIZERS, type OptimizerName } from '../optim/optimizer.js';
import { SCHEDULES, type ScheduleKind } from '../optim/schedule.js';
import { TOKENIZER_KINDS, type TokenizerKind } from '../text/tokenizer.js';
import { MIN_VOCABULARY } from '../text/word-tokenizer.js';
import type { Recipe } from './recipe.js';

/**
 * The options of a training run, named as `bptt train`'s flags (camelCase); an absent one keeps
 * the recipe's value (`DEFAULT_RECIPE`, or the preset's).
 */
export interface RecipeOptions {
  /** lines: each line is a sequence; chunks: the seed notebook's fixed-length chunks; stream: a long text as `batch` streams with carried state. */
  mode?: DataMode;
  /** Time steps per chunk (mode chunks) or per window (mode stream). */
  seqLength?: number;
  /** char: characters are the tokens; word: words and punctuation marks. */
  tokens?: TokenizerKind;
  /** Word tokens: words seen fewer times become the unknown token. */
  minCount?: number;
  /** Word tokens: the vocabulary holds at most this many tokens ('\n' and the unknown token included); rarer words become the unknown token. */
  maxVocab?: number;
  /** Mode stream: where documents end (the state resets there). */
  documents?: DocumentBoundary;
  /** Also evaluate every this many steps (long epochs). */
  evalEvery?: number;
  /** Lower-case the text first. */
  lowercase?: boolean;
  /** The recurrent unit: rnn (the seed's), lstm or gru. */
  cell?: Cell;
  /** Stacked recurrent layers. */
  layers?: number;
  /** Dropout on the non-recurrent connections during training; 0 = none. */
  dropout?: number;
  /** LSTM: the forget gate's initial bias. */
  forgetBias?: number;
  /** σ of Eq. 1.2 for cell rnn: sigmoid (the seed's), tanh or relu. */
  activation?: Activation;
  /** Hidden state size D_h. */
  hidden?: number;
  /** Embedding size; 0 = one-hot input. */
  embed?: number;
  /** Sequences per minibatch. */
  batch?: number;
  /** The optimizer (docs/optimizers.md); changing it also changes the default learning rate to its own. */
  optimizer?: OptimizerName;
  /** Momentum for sgd and rmsprop. */
  momentum?: number;
  /** Nesterov momentum for sgd. */
  nesterov?: boolean;
  /** adam/adamw: decay of the gradient mean. */
  beta1?: number;
  /** adam/adamw: decay of the squared-gradient mean; rmsprop: its alpha. */
  beta2?: number;
  /** The optimizer's epsilon. */
  eps?: number;
  /** L2 weight decay (decoupled for adamw). */
  weightDecay?: number;
  /** The learning rate (default: the optimizer's, see DEFAULT_LEARNING_RATES). */
  lr?: number;
  /** Learning-rate schedule: constant, step or cosine. */
  schedule?: ScheduleKind;
  /** Schedule step: multiply the learning rate by decayFactor every this many steps. */
  decayEvery?: number;
  /** Schedule step: the factor. */
  decayFactor?: number;
  /** Schedule cosine: the steps from lr down to minLr. */
  scheduleSteps?: number;
  /** Schedule cosine: the final learning rate. */
  minLr?: number;
  /** Raise the learning rate linearly over the first this many steps. */
  warmup?: number;
  /** Clip gradients elementwise to [-clip, clip]; Infinity: off. */
  clip?: number;
  /** Scale the gradients down to this global L2 norm at most (the elementwise clip is then off unless given). */
  clipNorm?: number;
  /** Passes over the training data. Giving any of epochs, time and steps replaces the default budget. */
  epochs?: number;
  /** Train for this many seconds. */
  time?: number;
  /** Stop after this many optimizer steps. */
  steps?: number;
  /** Stop after this many epochs without a better validation loss. */
  patience?: number;
  /** Fraction of lines held out for validation (mode stream: the end of the text). */
  val?: number;
  /** Random seed (weights, split, batch order). */
  seed?: number;
  /** float32 (fast) or float64 (exact). */
  dtype?: DType;
  /** Shuffle the training data between epochs. */
  shuffle?: boolean;
}

/** `base` (a copy) with every given option applied, by the same rules as `bptt train`'s flags. */
export function recipeOf(options: RecipeOptions, base: Recipe): Recipe {
  const recipe: Recipe = { ...base };
  const set = <K extends keyof Recipe>(key: K, value: Recipe[K] | undefined) => {
    if (value !== undefined) recipe[key] = value;
  };
  set('mode', options.mode);
  set('seqLength', options.seqLength);
  set('tokens', options.tokens);
  set('minCount', options.minCount);
  set('maxVocab', options.maxVocab);
  set('documents', options.documents);
  set('evaluateEvery', options.evalEvery);
  set('lowercase', options.lowercase);
  set('cell', options.cell);
  set('layers', options.layers);
  set('dropout', options.dropout);
  set('forgetBias', options.forgetBias);
  set('activation', options.activation);
  set('hidden', options.hidden);
  set('embed', options.embed);
  set('batchSize', options.batch);
  set('optimizer', options.optimizer);
  set('momentum', options.momentum);
  set('nesterov', options.nesterov);
  set('beta1', options.beta1);
  set('beta2', options.beta2);
  set('epsilon', options.eps);
  set('weightDecay', options.weightDecay);
  // Each optimizer has its own default learning rate; the recipe's own optimizer keeps the recipe's; lr overrides both.
  const otherOptimizer = options.optimizer !== undefined && options.optimizer !== (base.optimizer ?? 'adagrad');
  set('learningRate', options.lr ?? (otherOptimizer ? DEFAULT_LEARNING_RATES[options.optimizer!] : undefined));
  set('schedule', options.schedule);
  set('decayEvery', options.decayEvery);
  set('decayFactor', options.decayFactor);
  set('scheduleSteps', options.scheduleSteps);
  set('minLearningRate', options.minLr);
  set('warmup', options.warmup);
  set('clipNorm', options.clipNorm);
  // Clipping by norm replaces the seed's elementwise clip unless clip is given too.
  set('clip', options.clip ?? (options.clipNorm !== undefined ? Infinity : undefined));
  set('validationFraction', options.val);
  set('patience', options.patience);
  set('seed', options.seed);
  set('dtype', options.dtype);
  set('shuffle', options.shuffle);
  if (options.epochs !== undefined || options.time !== undefined || options.steps !== undefined) {
    recipe.epochs = options.epochs;
    recipe.timeSeconds = options.time;
    recipe.steps = options.steps;
  }
  return recipe;
}

/** The values a numeric option takes: [min, max], whole numbers only if `integer`, min itself excluded if `aboveMin`. */
export interface OptionRange {
  min: number;
  max: number;
  integer?: boolean;
  aboveMin?: boolean;
}

/** The range of every numeric option: the same as `bptt train`'s flags (a test compares them). */
export const OPTION_RANGES: { readonly [K in keyof RecipeOptions]?: OptionRange } = {
  seqLength: { min: 1, max: 10_000, integer: true },
  minCount: { min: 1, max: 1_000_000, integer: true },
  maxVocab: { min: MIN_VOCABULARY, max: 1_000_000, integer: true },
  evalEvery: { min: 1, max: 1e12, integer: true },
  layers: { min: 1, max: MAX_LAYERS, integer: true },
  dropout: { min: 0, max: 0.95 },
  forgetBias: { min: -10, max: 10 },
  hidden: { min: 1, max: 8192, integer: true },
  embed: { min: 0, max: 4096, integer: true },
  batch: { min: 1, max: 65_536, integer: true },
  lr: { min: 0, max: 100, aboveMin: true },
  momentum: { min: 0, max: 0.9999 },
  beta1: { min: 0, max: 0.9999 },
  beta2: { min: 0, max: 0.999999 },
  eps: { min: 0, max: 1, aboveMin: true },
  weightDecay: { min: 0, max: 10 },
  decayEvery: { min: 1, max: 1e12, integer: true },
  decayFactor: { min: 0, max: 1, aboveMin: true },
  scheduleSteps: { min: 1, max: 1e12, integer: true },
  minLr: { min: 0, max: 100 },
  warmup: { min: 1, max: 1e12, integer: true },
  clip: { min: 0, max: Infinity, aboveMin: true },
  clipNorm: { min: 0, max: 1e6, aboveMin: true },
  epochs: { min: 1, max: 1_000_000, integer: true },
  time: { min: 0, max: 1e7, aboveMin: true },
  steps: { min: 1, max: 1e12, integer: true },
  patience: { min: 1, max: 1_000_000, integer: true },
  val: { min: 0, max: 0.9 },
  seed: { min: 0, max: 2 ** 32 - 1, integer: true },
};

/** The values each choice option takes. */
const OPTION_CHOICES: { readonly [K in keyof RecipeOptions]?: readonly unknown[] } = {
  mode: DATA_MODES,
  tokens: TOKENIZER_KINDS,
  documents: DOCUMENT_BOUNDARIES,
  cell: CELLS,
  activation: ACTIVATIONS,
  optimizer: OPTIMIZERS,
  schedule: SCHEDULES,
  dtype: DTYPES,
};

const BOOLEAN_OPTIONS: readonly (keyof RecipeOptions)[] = ['lowercase', 'nesterov', 'shuffle'];

/**
 * Checks options given to the library (the CLI's parsers check its flags): a value of the wrong
 * type or out of range is a BpttError naming the option, the value and what it takes.
 */
export function checkRecipeOptions(options: RecipeOptions, otherKeys: readonly string[] = []): void {
  for (const [key, value] of Object.entries(options) as [keyof RecipeOptions, unknown][]) {
    if (value === undefined) continue;
    const known = key in OPTION_RANGES || key in OPTION_CHOICES || BOOLEAN_OPTIONS.includes(key) || otherKeys.includes(key);
    if (!known)
      throw new BpttError(
        `there is no option ${JSON.stringify(key)}`,
        "the options are bptt train's flags in camelCase (docs/library.md), e.g. hidden, lr, time",
      );
    const range = OPTION_RANGES[key];
    const choices = OPTION_CHOICES[key];
    if (range) {
      const allowed = `give ${range.integer ? 'an integer' : 'a number'} ${range.aboveMin ? 'above' : 'from'} ${range.min} to ${range.max}`;
      const inRange = typeof value === 'number' && (range.aboveMin ? value > range.min : value >= range.min) && value <= range.max;
      if (!inRange || Number.isNaN(value) || (range.integer && !Number.isInteger(value)))
        throw new BpttError(`option ${key} is ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`, allowed);
    } else if (choices) {
      if (!choices.includes(value)) throw new BpttError(`option ${key} is ${JSON.stringify(value)}`, `use one of ${choices.join(', ')}`);
    } else if (BOOLEAN_OPTIONS.includes(key) && typeof value !== 'boolean') {
      throw new BpttError(`option ${key} is ${JSON.stringify(value)}`, 'give true or false');
    }
  }
}
