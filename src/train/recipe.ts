/**
 * A recipe: everything that defines a training run (data preparation, model
 * architecture, optimisation), with bptt's defaults and the seed notebook's
 * preset. The CLI's flags and the browser's controls both edit a recipe.
 */
import type { DType } from '../core/arrays.js';
import { chooseMode, type ModeChoice } from '../data/auto-mode.js';
import { BpttError } from '../core/errors.js';
import { chunkSequences, lineSequences, splitValidation, textLines, type DataMode, type Sequence } from '../data/sequences.js';
import { ArrayTokenSource, heldOutStreams, idArrayFor, splitStreams, TokenStreams, type DocumentBoundary, type TokenSource } from '../data/stream.js';
import type { StreamReading } from '../io/model-file.js';
import type { Cell, InitScheme, ModelConfig } from '../model/config.js';
import type { Activation } from '../nn/activation.js';
import type { OptimizerName, OptimizerSpec } from '../optim/optimizer.js';
import type { ScheduleKind } from '../optim/schedule.js';
import { CharTokenizer } from '../text/char-tokenizer.js';
import { END_OF_SEQUENCE, type Tokenizer, type TokenizerKind } from '../text/tokenizer.js';
import { tokenizerForText } from '../text/tokenizers.js';
import { DEFAULT_MAX_VOCABULARY, DEFAULT_MIN_COUNT, MIN_VOCABULARY, splitWords, WordTokenizer } from '../text/word-tokenizer.js';
import type { TrainOptions } from './trainer.js';

/** Everything that defines a run; the optimizer's hyperparameters (momentum, β1, β2, ε, weight decay) are OptimizerSpec's own fields. */
export interface Recipe extends Omit<OptimizerSpec, 'name'> {
  mode: DataMode;
  /** T for mode 'chunks' (chunks hold T + 1 characters), and the window length of mode 'stream'. */
  seqLength: number;
  /** Tokens are characters or words (with punctuation marks). Checkpoints written before words existed have none: 'char'. */
  tokens: TokenizerKind;
  /** Word tokens: words seen fewer times than this become the unknown token. */
  minCount: number;
  /** Word tokens: at most this many tokens, '\n' and the unknown token included (absent: DEFAULT_MAX_VOCABULARY). */
  maxVocab?: number;
  /** Mode 'stream': where a document ends and the state resets (data/stream.ts); default 'blank-line'. */
  documents?: DocumentBoundary;
  /** Also evaluate every this many steps (mode 'stream' on a big text: an epoch is long). */
  evaluateEvery?: number;
  lowercase: boolean;
  /** The notebook's strip() quirk in mode 'chunks' (see chunkSequences). */
  dropWhitespaceChunks: boolean;
  /** Fraction of lines (or chunks) held out for validation; in mode 'stream' the end of the text. */
  validationFraction: number;
  /** Mode 'stream': hold out at most this many tokens (each evaluation reads them all); absent: no limit. */
  validationLimit?: number;
  cell: Cell;
  /** Stacked recurrent layers. */
  layers: number;
  /** Dropout on the non-recurrent connections (between layers, before the output layer) during training (0 = none). */
  dropout?: number;
  /** LSTM only: the forget gate's initial bias (see ModelConfig.forgetBias). */
  forgetBias?: number;
  activation: Activation;
  hidden: number;
  embed: number;
  init: InitScheme;
  dtype: DType;
  batchSize: number;
  /** The optimizer (absent: adagrad, the seed's); its hyperparameters are OptimizerSpec's fields (absent: its defaults). */
  optimizer?: OptimizerName;
  /** The base learning rate. */
  learningRate: number;
  /** Learning-rate schedule (absent: constant) and its settings (see src/optim/schedule.ts). */
  schedule?: ScheduleKind;
  decayEvery?: number;
  decayFactor?: number;
  /** cosine: the steps it spans (the CLI fills it in from the budget when a run starts). */
  scheduleSteps?: number;
  minLearningRate?: number;
  warmup?: number;
  /** Elementwise clip limit; Infinity for none. */
  clip: number;
  /** Global-norm clip (absent: none). */
  clipNorm?: number;
  epochs?: number;
  timeSeconds?: number;
  steps?: number;
  /** Shuffle the training sequences in every epoch (mode stream reads its streams in order). */
  shuffle: boolean;
  /** Keep the data order in the first epoch, as the seed notebook does (absent: the first epoch is shuffled too). */
  firstEpochInOrder?: boolean;
  seed: number;
  /** Early stopping: epochs without a better validation loss before training stops. */
  patience?: number;
}

/**
 * bptt's defaults: the lowest validation loss found on the dinosaur names
 * (README, "The defaults, and why"): an LSTM with 192 hidden units on a
 * learned 64-dimensional embedding, dropout 0.4 before the output layer,
 * Adagrad 0.04 with the seed's clipping at 5, small batches of 16 names, at
 * most 25 epochs, stopping 5 epochs after the best validation loss (these
 * 1,318 names are overfitted within seconds; --out keeps the best epoch).
 * `--cell rnn` gives the seed's sigmoid RNN.
 */
export const DEFAULT_RECIPE: Recipe = {
  mode: 'lines',
  seqLength: 32,
  tokens: 'char',
  minCount: DEFAULT_MIN_COUNT,
  maxVocab: DEFAULT_MAX_VOCABULARY,
  lowercase: false,
  dropWhitespaceChunks: false,
  validationFraction: 0.1,
  cell: 'lstm',
  layers: 1,
  dropout: 0.4,
  activation: 'sigmoid',
  hidden: 192,
  embed: 64,
  init: 'scaled',
  dtype: 'float32',
  batchSize: 16,
  learningRate: 0.04,
  clip: 5,
  epochs: 25,
  patience: 5,
  shuffle: true,
  firstEpochInOrder: false,
  seed: 1,
};

/**
 * The seed's notebook, exactly: the lower-cased text cut into chunks of 16
 * characters (T = 15) with its strip() quirk, batches of 512 in order, a
 * sigmoid RNN with D_h = 256 on one-hot input, weights ~ N(0, 1), Adagrad 0.1,
 * clipping to ±5, 400 epochs, float64, no validation split.
 */
export const NOTEBOOK_PRESET: Recipe = {
  mode: 'chunks',
  seqLength: 15,
  tokens: 'char',
  minCount: DEFAULT_MIN_COUNT,
  maxVocab: DEFAULT_MAX_VOCABULARY,
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
  firstEpochInOrder: true,
  seed: 1,
};

/**
 * bptt's recipe for running text (a book, a code base, a chat log): what mode 'auto' picks when the
 * data is not a list of short lines (data/auto-mode.ts). Mode stream, 32 streams, windows of 64, an
 * LSTM 256 on a 64-dimensional embedding, the defaults' optimisation (Adagrad 0.04, clipping at 5)
 * and dropout 0.2: in docs/long-texts.md's sweep at equal CPU time (native kernels) it beat LSTMs of
 * 384 and 512 units, two layers of 256, GRUs of 256 and Adagrad 0.1, and dropout 0.2 beat the
 * defaults' 0.4 on all four texts (prose, a glossary, C code, short documents); Adam lost to Adagrad
 * in the earlier sweep. The end of the text (10%, at most 256 K characters) is held out.
 */
export const TEXT_RECIPE: Recipe = {
  ...DEFAULT_RECIPE,
  mode: 'stream',
  seqLength: 64,
  documents: 'blank-line',
  validationFraction: 0.1,
  validationLimit: 1 << 18,
  hidden: 256,
  embed: 64,
  dropout: 0.2,
  batchSize: 32,
  shuffle: false,
  epochs: 10,
  patience: 3,
};

/** Named recipes for --preset. */
export const PRESETS: Record<string, Recipe> = { seed: NOTEBOOK_PRESET };

/** Mode auto's decision for a text, with the recipe it starts from (`bptt train` and the playground share it). */
export interface AutoRecipe extends ModeChoice {
  recipe: Recipe;
  /** Set when chooseMode saw running text but it is too short for TEXT_RECIPE's streams: the tokens it would need. */
  tooShortFor?: number;
  /** The text's tokens (characters, or words and marks with `tokens` 'word'), when it is too short. */
  tokenCount?: number;
}

/**
 * chooseMode's decision (data/auto-mode.ts), except that running text too short to fill four batches of
 * TEXT_RECIPE's windows trains in lines: it would fill too few windows (and its held-out end fewer still).
 * With word tokens, the windows hold words and marks, so they are what is counted.
 */
export function autoRecipe(text: string, tokens: TokenizerKind = 'char'): AutoRecipe {
  const choice = chooseMode(text);
  const least = 4 * TEXT_RECIPE.batchSize * TEXT_RECIPE.seqLength;
  if (choice.mode === 'stream') {
    const count = tokens === 'word' ? splitWords(text).length : text.length;
    if (count < least) return { ...choice, mode: 'lines', recipe: DEFAULT_RECIPE, tooShortFor: least, tokenCount: count };
  }
  return { ...choice, recipe: choice.mode === 'stream' ? TEXT_RECIPE : DEFAULT_RECIPE };
}

/**
 * Mode stream's default evaluation interval (--eval-every), so that a run that never finishes an
 * epoch still evaluates and keeps its best model, while evaluating costs little: an evaluation
 * reads the held-out tokens forward only, about a third of a training step's work per token, so
 * every N steps with N = 20 × (held-out tokens / tokens per step) / 3 it takes ≈ 5% of the time;
 * with a budget of S steps, no more than 10 evaluations (N ≥ S/10). Undefined when the epoch
 * ends first (every epoch is evaluated anyway).
 */
export function streamEvaluateEvery(windowsPerEpoch: number, tokensPerStep: number, validationTokens: number, budgetSteps?: number): number | undefined {
  const byCost = Math.ceil((20 * validationTokens) / (3 * tokensPerStep));
  const byBudget = budgetSteps === undefined ? 1 : Math.ceil(budgetSteps / 10);
  const every = Math.max(10, byCost, byBudget);
  return every < windowsPerEpoch ? every : undefined;
}

/**
 * streamEvaluateEvery for a run of `recipe` on its streams, with the budget in steps: --steps, or
 * --epochs of windows. Undefined unless both the training and the held-out data are streams.
 */
export function streamEvaluationInterval(
  recipe: Recipe,
  train: readonly Sequence[] | TokenStreams,
  validation: readonly Sequence[] | TokenStreams,
): number | undefined {
  if (!(train instanceof TokenStreams) || !(validation instanceof TokenStreams)) return undefined;
  const budgetSteps = recipe.steps ?? (recipe.epochs !== undefined ? recipe.epochs * train.windows : undefined);
  return streamEvaluateEvery(train.windows, recipe.batchSize * recipe.seqLength, validation.tokens, budgetSteps);
}

/** What prepareData gives: the tokenizer and the train/validation sequences. */
export interface PreparedData {
  tokenizer: Tokenizer;
  train: Sequence[];
  validation: Sequence[];
  /** The data's lines as the tokenizer decodes them (for rejecting samples that are copies of the training data). */
  lines: string[];
}

/**
 * Text → tokenizer and train/validation sequences. Pass `tokenizer` to reuse a
 * model's vocabulary (every character of the text must be in it).
 */
export function prepareData(rawText: string, recipe: Recipe, source: string, tokenizer?: Tokenizer): PreparedData {
  if (recipe.mode === 'stream') throw new BpttError(`mode stream reads its data with prepareStreams`, 'use prepareStreams for mode stream');
  const text = tokenizer ? tokenizer.normalize(rawText) : recipe.lowercase ? rawText.toLowerCase() : rawText;
  const distinct = new Set<string>();
  for (const char of text) if (char !== END_OF_SEQUENCE) distinct.add(char); // no array of every character: the text may be 50 MB
  if (distinct.size < 2) {
    throw new BpttError(
      `${source} has ${distinct.size === 0 ? 'no characters' : `only one distinct character (${JSON.stringify([...distinct][0])})`} besides line ends`,
      'there is nothing to learn; give a text with at least two different characters',
    );
  }
  const vocabulary =
    tokenizer ??
    checkWordVocabulary(
      tokenizerForText(text, { kind: recipe.tokens ?? 'char', lowercase: recipe.lowercase, ...wordVocabularyOptions(recipe) }),
      source,
      recipe,
    );
  const unknown = vocabulary.unknownCharacter(text);
  if (unknown !== undefined) {
    throw new BpttError(
      `${source} contains ${JSON.stringify(unknown)}, which is not in the model's vocabulary`,
      'train a new model on this data instead of starting from --init/--resume',
    );
  }
  const lines = textLines(text);
  const sequences =
    recipe.mode === 'lines'
      ? lineSequences(lines, vocabulary, source)
      : chunkSequences(text, vocabulary, { steps: recipe.seqLength, dropWhitespaceEdges: recipe.dropWhitespaceChunks }, source);
  if (sequences.length === 0) throw new BpttError(`${source} yields no training sequences in mode ${recipe.mode}`, 'give more text or a shorter --seq-length');
  const { train, validation } = splitValidation(sequences, recipe.validationFraction, recipe.seed);
  if (train.length === 0) throw new BpttError(`${source}: no sequences are left for training after the validation split`, 'lower --val or give more data');
  // Word tokenizers respace text (and write unknown words as <unk>), so samples are compared with the lines as decoded.
  return { tokenizer: vocabulary, train, validation, lines: lines.map((line) => vocabulary.decode(vocabulary.encode(line))) };
}

/** What of a recipe chooses a vocabulary (--tokens, --lowercase, --min-count, --max-vocab). */
export type VocabularyRecipe = Pick<Recipe, 'lowercase'> & Partial<Pick<Recipe, 'tokens' | 'minCount' | 'maxVocab'>>;

/** How a recipe chooses a word vocabulary (--min-count, --max-vocab). */
export function wordVocabularyOptions(recipe: VocabularyRecipe): { minCount: number; maxVocab: number } {
  return { minCount: recipe.minCount ?? DEFAULT_MIN_COUNT, maxVocab: recipe.maxVocab ?? DEFAULT_MAX_VOCABULARY };
}

/** A new vocabulary, returned as it is unless it is a word vocabulary with nothing to learn: fewer than two words kept. */
export function checkWordVocabulary<T extends Tokenizer>(vocabulary: T, source: string, recipe: VocabularyRecipe): T {
  // A word vocabulary always holds '\n' and the unknown token: two more tokens are the least there is to learn.
  if (vocabulary.kind !== 'word' || vocabulary.size >= MIN_VOCABULARY) return vocabulary;
  const { minCount } = wordVocabularyOptions(recipe);
  throw new BpttError(
    `${source} has fewer than two different words seen at least ${minCount} times`,
    minCount > 1 ? 'give more text or a lower --min-count' : 'give more text',
  );
}

/** The word vocabulary of a text counted piece by piece (countWords), as prepareData would build it from the whole text. */
export function wordVocabularyOf(counts: ReadonlyMap<string, number>, recipe: VocabularyRecipe, source: string): WordTokenizer {
  const { minCount, maxVocab } = wordVocabularyOptions(recipe);
  return checkWordVocabulary(WordTokenizer.fromCounts(counts, { lowercase: recipe.lowercase, minCount, maxSize: maxVocab }), source, recipe);
}

/** The text as the tokenizer sees it and its vocabulary (`tokenizer`'s, if given), checking there is something to learn. */
function textVocabulary(rawText: string, recipe: Recipe, source: string, tokenizer?: CharTokenizer): { text: string; vocabulary: CharTokenizer } {
  const text = tokenizer ? tokenizer.normalize(rawText) : recipe.lowercase ? rawText.toLowerCase() : rawText;
  const vocabulary = checkVocabulary(new Set(text), source, { lowercase: recipe.lowercase }, tokenizer);
  return { text, vocabulary };
}

/**
 * The vocabulary of a text given its distinct characters (as the tokenizer sees them): `tokenizer`
 * if given (it must know every one), else a new one. Fails if there is nothing to learn.
 */
export function checkVocabulary(distinct: ReadonlySet<string>, source: string, options: { lowercase: boolean }, tokenizer?: CharTokenizer): CharTokenizer {
  const characters = [...distinct].filter((char) => char !== END_OF_SEQUENCE);
  if (characters.length < 2) {
    throw new BpttError(
      `${source} has ${characters.length === 0 ? 'no characters' : `only one distinct character (${JSON.stringify(characters[0])})`} besides line ends`,
      'there is nothing to learn; give a text with at least two different characters',
    );
  }
  const vocabulary = tokenizer ?? CharTokenizer.fromText(characters.join(''), options);
  const unknown = characters.find((char) => !vocabulary.has(char));
  if (unknown !== undefined) {
    throw new BpttError(
      `${source} contains ${JSON.stringify(unknown)}, which is not in the model's vocabulary`,
      'train a new model on this data instead of starting from --init/--resume',
    );
  }
  return vocabulary;
}

/** What prepareStreams gives: the tokenizer and the train/validation streams. */
export interface PreparedStreams {
  tokenizer: Tokenizer;
  train: TokenStreams;
  /** The held-out end of the text; absent with validationFraction 0. */
  validation?: TokenStreams;
}

/** Mode 'stream' over token ids already read (from a file, by the CLI): the training and validation streams. */
export function streamsOf(source: TokenSource, tokenizer: Tokenizer, recipe: Recipe): PreparedStreams {
  const options = { streams: recipe.batchSize, steps: recipe.seqLength, documents: recipe.documents ?? 'blank-line', endId: tokenizer.endId } as const;
  return { tokenizer, ...splitStreams(source, recipe.validationFraction, options, recipe.validationLimit) };
}

/**
 * Mode 'stream' over a text in memory (a browser, a test): its ids in a compact typed array, then streamsOf.
 * Characters, or words and marks (recipe.tokens 'word', or a word `tokenizer`: its vocabulary, unknown words as '<unk>').
 */
export function prepareStreams(rawText: string, recipe: Recipe, source: string, tokenizer?: Tokenizer): PreparedStreams {
  const words = (tokenizer?.kind ?? recipe.tokens ?? 'char') === 'word';
  const { text, vocabulary } = words
    ? {
        text: rawText,
        vocabulary:
          tokenizer ??
          checkWordVocabulary(tokenizerForText(rawText, { kind: 'word', lowercase: recipe.lowercase, ...wordVocabularyOptions(recipe) }), source, recipe),
      }
    : textVocabulary(rawText, recipe, source, tokenizer as CharTokenizer | undefined);
  const codes = vocabulary.encode(text, source);
  const ids = idArrayFor(vocabulary.size, codes.length);
  ids.set(codes);
  return streamsOf(new ArrayTokenSource(ids), vocabulary, recipe);
}

/** How a recipe of mode stream reads its text, recorded in the model file; undefined in other modes. */
export function streamReadingOf(recipe: Recipe): StreamReading | undefined {
  return recipe.mode === 'stream' ? { streams: recipe.batchSize, steps: recipe.seqLength, documents: recipe.documents ?? 'blank-line' } : undefined;
}

/**
 * A text to evaluate a stream-mode model on, as streams laid out as training laid out its
 * held-out end (data/stream.ts, heldOutStreams): the held-out part of a training text, written
 * to a file of its own, evaluates to the loss training reported.
 */
export function evaluationStreams(source: TokenSource, tokenizer: Tokenizer, reading: StreamReading): TokenStreams {
  return heldOutStreams(source, 0, { streams: reading.streams, steps: reading.steps, documents: reading.documents, endId: tokenizer.endId });
}

/** The model architecture of a recipe, for a vocabulary of `vocabSize` tokens. */
export function modelConfigOf(recipe: Recipe, vocabSize: number): ModelConfig {
  // Checkpoints written before the LSTM existed have no cell: they are vanilla RNNs.
  return {
    cell: recipe.cell ?? 'rnn',
    activation: recipe.activation,
    vocabSize,
    hidden: recipe.hidden,
    embed: recipe.embed,
    layers: recipe.layers ?? 1,
    dtype: recipe.dtype,
    init: recipe.init,
    forgetBias: recipe.forgetBias,
    dropout: recipe.dropout,
  };
}

/** The Trainer options of a recipe. */
export function trainOptionsOf(recipe: Recipe): TrainOptions {
  return {
    batchSize: recipe.batchSize,
    optimizer: {
      name: recipe.optimizer ?? 'adagrad',
      momentum: recipe.momentum,
      nesterov: recipe.nesterov,
      beta1: recipe.beta1,
      beta2: recipe.beta2,
      epsilon: recipe.epsilon,
      weightDecay: recipe.weightDecay,
    },
    learningRate: recipe.learningRate,
    schedule: {
      kind: recipe.schedule ?? 'constant',
      decayEvery: recipe.decayEvery,
      decayFactor: recipe.decayFactor,
      totalSteps: recipe.scheduleSteps,
      minLearningRate: recipe.minLearningRate,
      warmupSteps: recipe.warmup,
    },
    clip: recipe.clip,
    clipNorm: recipe.clipNorm,
    epochs: recipe.epochs,
    timeBudgetSeconds: recipe.timeSeconds,
    maxSteps: recipe.steps,
    shuffle: recipe.shuffle,
    firstEpochInOrder: recipe.firstEpochInOrder,
    seed: recipe.seed,
    patience: recipe.patience,
    evaluateEvery: recipe.evaluateEvery,
    // A stream run's budget often ends mid-epoch: its last weights are evaluated too (and kept if best).
    evaluateAtEnd: recipe.mode === 'stream',
  };
}

/**
 * A short fingerprint of a text (FNV-1a, 32 bits), to check a resumed run sees the same data.
 * `previous`, the fingerprint of the text before this part, continues it: a text read in pieces
 * gets the fingerprint of the whole.
 */
export function fingerprint(text: string, previous?: string): string {
  let hash = previous === undefined ? 0x811c9dc5 : parseInt(previous, 16);
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/**
 * A run's identity: what fixes its trajectory (the recipe without its budget, the data's fingerprint,
 * and `init`, which names the weights it started from), so that two runs with the same identity write
 * the same weights at the same epoch, and model files stay bitwise reproducible (no random id).
 * Computed once at the start; resumes keep it.
 */
export function runIdentity(recipe: Recipe, dataFingerprint: string, init = ''): string {
  const { epochs, timeSeconds, steps, patience, evaluateEvery, ...trajectory } = recipe;
  void [epochs, timeSeconds, steps, patience, evaluateEvery];
  return fingerprint(`${JSON.stringify(trajectory)}|${dataFingerprint}|${init}`);
}
