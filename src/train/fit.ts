/**
 * A whole training run in one call, as `bptt train` runs it but without files
 * or a terminal: text → recipe (DEFAULT_RECIPE and the caller's options) →
 * tokenizer and train/validation split → model on the fastest kernels →
 * Trainer, with early stopping, and the weights of the epoch with the best
 * validation loss kept and returned (what the CLI writes to --out).
 */
import type { FloatArray } from '../core/arrays.js';
import { BpttError } from '../core/errors.js';
import { MAX_LINE_LENGTH, textLines, type Sequence } from '../data/sequences.js';
import type { TokenStreams } from '../data/stream.js';
import type { Kernels } from '../kernels/kernels.js';
import { loadKernels, type Backend } from '../kernels/select.js';
import { RnnModel } from '../model/rnn-model.js';
import type { Tokenizer } from '../text/tokenizer.js';
import type { TrainingDataRecord } from '../io/model-file.js';
import {
  autoRecipe,
  DEFAULT_RECIPE,
  fingerprint,
  modelConfigOf,
  prepareData,
  prepareStreams,
  PRESETS,
  streamEvaluateEvery,
  trainOptionsOf,
  type Recipe,
} from './recipe.js';
import { checkRecipeOptions, recipeOf, type RecipeOptions } from './recipe-options.js';
import { Trainer, type EpochEvent, type StepEvent, type TrainingPosition } from './trainer.js';

/**
 * What `onProgress` receives, told apart by `type`: 'step' after every optimizer step (a StepEvent),
 * 'epoch' after every epoch and 'evaluation' every evalEvery steps (an EpochEvent).
 */
export type TrainingProgress = ({ type: 'step' } & StepEvent) | ({ type: 'epoch' | 'evaluation' } & EpochEvent);

/** The options of `fit()` (and of the library's `train()`): `bptt train`'s flags in camelCase, and a few a program needs. */
export interface FitOptions extends RecipeOptions {
  /** Start from a named recipe instead of DEFAULT_RECIPE (see PRESETS: 'seed', the notebook exactly). */
  preset?: string;
  /** The kernels to compute with (default: `loadKernels(backend)`). */
  kernels?: Kernels;
  /** Which kernels to load when `kernels` is not given (default 'auto': the fastest this engine runs). */
  backend?: Backend;
  /** Called after every step and every validation. */
  onProgress?: (progress: TrainingProgress) => void;
  /** Aborting it stops the run after the current step; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** What to call the text in error messages and in the model file's record of its data (default "the training text"). */
  source?: string;
}

/** The options of fit() that are not `bptt train` flags. */
const FIT_ONLY_OPTIONS: readonly (keyof FitOptions)[] = ['preset', 'kernels', 'backend', 'onProgress', 'signal', 'source'];

/** A finished run: the model with the best epoch's weights, and how it got there. */
export interface FitResult {
  model: RnnModel;
  tokenizer: Tokenizer;
  /** The recipe the run used (options applied to the defaults, the data mode decided). */
  recipe: Recipe;
  /** The training text's lines as the tokenizer writes them, for telling new samples from copies (empty in mode stream). */
  lines: string[];
  /** Where the run stopped. */
  position: TrainingPosition;
  /** Whether early stopping (patience) ended the run. */
  stoppedEarly: boolean;
  /** The validation loss (nats per token) of the returned weights; NaN without validation data. */
  validationLoss: number;
  /** What the model file records of the training text: its name (`source`), lines and fingerprint. */
  data: TrainingDataRecord;
}

/**
 * The recipe of a run: the preset, or DEFAULT_RECIPE for a list of lines, or for one string the
 * recipe mode auto picks, as `bptt train` does (autoRecipe: a list of short lines → DEFAULT_RECIPE,
 * running text → TEXT_RECIPE, mode stream, unless it is too short for its streams), with the options
 * applied. A text in mode lines with a line too long for it trains in chunks.
 */
export function fitRecipe(texts: string | readonly string[], options: FitOptions = {}): Recipe {
  if (options.preset !== undefined && !(options.preset in PRESETS)) {
    throw new BpttError(`there is no preset ${JSON.stringify(options.preset)}`, `use one of ${Object.keys(PRESETS).join(', ')}, or none`);
  }
  checkRecipeOptions(options, FIT_ONLY_OPTIONS);
  let base = DEFAULT_RECIPE;
  if (options.preset !== undefined) base = PRESETS[options.preset];
  else if (options.mode === undefined && typeof texts === 'string') base = autoRecipe(texts, options.tokens ?? 'char').recipe;
  const recipe = recipeOf(options, base);
  const lines = typeof texts === 'string' ? textLines(texts) : texts;
  if (options.mode === undefined && recipe.mode === 'lines' && lines.some((line) => line.length > MAX_LINE_LENGTH)) recipe.mode = 'chunks';
  return recipe;
}

/** Trains a model on `texts` (lines, or one long text) and returns it with the weights of its best validation epoch. */
export async function fit(texts: string | readonly string[], options: FitOptions = {}): Promise<FitResult> {
  options.signal?.throwIfAborted();
  const source = options.source ?? 'the training text';
  const text = typeof texts === 'string' ? texts : texts.join('\n');
  const recipe = fitRecipe(texts, options);
  const kernels = options.kernels ?? (await loadKernels(options.backend ?? 'auto'));

  let tokenizer: Tokenizer;
  let train: readonly Sequence[] | TokenStreams;
  let validation: readonly Sequence[] | TokenStreams;
  let lines: string[] = [];
  if (recipe.mode === 'stream') {
    const data = prepareStreams(text, recipe, source);
    ({ tokenizer, train } = data);
    validation = data.validation ?? [];
    // As the CLI does: a run that never finishes an epoch still evaluates, and keeps its best weights.
    if (recipe.evaluateEvery === undefined && data.validation) {
      recipe.evaluateEvery = streamEvaluateEvery(data.train.windows, recipe.batchSize * recipe.seqLength, data.validation.tokens, recipe.steps);
    }
  } else {
    const data = prepareData(text, recipe, source);
    ({ tokenizer, train, validation, lines } = data);
  }

  const model = RnnModel.initialized(modelConfigOf(recipe, tokenizer.size), recipe.seed, kernels);
  const trainer = new Trainer(model, train, validation, trainOptionsOf(recipe));
  let best: { params: FloatArray; loss: number } | undefined;
  const onValidation = (type: 'epoch' | 'evaluation') => (event: EpochEvent) => {
    if (event.improved) best = { params: model.params.slice(), loss: event.validationLoss };
    options.onProgress?.({ type, ...event });
  };
  trainer.on('epoch', onValidation('epoch'));
  trainer.on('evaluation', onValidation('evaluation'));
  if (options.onProgress) trainer.on('step', (event) => options.onProgress!({ type: 'step', ...event }));

  const stop = () => trainer.requestStop();
  options.signal?.addEventListener('abort', stop);
  let position: TrainingPosition;
  try {
    position = await trainer.run();
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
  options.signal?.throwIfAborted();

  // Like --out: the best validation epoch's weights, not the last (a small data set is overfitted within seconds).
  if (best) model.params.set(best.params);
  const hasValidation = !Array.isArray(validation) || validation.length > 0;
  const validationLoss = best?.loss ?? (hasValidation ? trainer.evaluate(validation).natsPerToken : NaN);
  const data = { source, lines: textLines(text).length, fingerprint: fingerprint(text) };
  return { model, tokenizer, recipe, lines, position, stoppedEarly: trainer.stoppedEarly, validationLoss, data };
}
