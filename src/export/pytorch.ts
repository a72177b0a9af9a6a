/**
 * `bptt export pytorch`: a small PyTorch project that continues training a bptt model past one
 * machine (torchrun, DistributedDataParallel) and writes a bptt model file back (docs/scale-out.md).
 *
 * The project's Python files are kept as real files beside this module (src/export/pytorch/), readable
 * and lintable; the CLI copies them. What this module adds is what differs from model to model:
 * the starting weights (the model file itself, without a checkpoint's optimizer state) and the
 * training settings train.py follows (recipe.json), taken from a checkpoint's recipe when the file
 * is one, else bptt's defaults.
 */
import { encodeModelFile, type SavedModel } from '../io/model-file.js';
import { optimizerSettings, type OptimizerName } from '../optim/optimizer.js';
import { CONSTANT_SCHEDULE, DEFAULT_DECAY_FACTOR, type Schedule } from '../optim/schedule.js';
import { DEFAULT_RECIPE, trainOptionsOf, type Recipe } from '../train/recipe.js';

/** The template files of the project, in src/export/pytorch/, copied as they are. */
export const PYTORCH_TEMPLATES = ['README.md', 'model.py', 'safetensors_file.py', 'train.py'] as const;

/** The names train.py reads its starting weights and settings from, beside it. */
export const PYTORCH_MODEL_FILE = 'model.safetensors';
export const PYTORCH_RECIPE_FILE = 'recipe.json';

/** The training settings train.py follows, in its own (snake_case, JSON) terms. */
export interface PytorchRecipe {
  /** 'lines', 'chunks' or 'stream', as bptt's --mode. */
  mode: Recipe['mode'];
  /** T of mode chunks (chunks of T + 1 tokens) and of mode stream (windows of T steps). */
  seq_length: number;
  /** Mode stream: where a document ends and the state resets ('blank-line', 'line', 'none'). */
  documents: string;
  /** The share of the sequences (mode stream: of the text's end) held out for validation, as bptt holds it out. */
  validation_fraction: number;
  /** Sequences per optimizer step, over all processes together (bptt's --batch). */
  batch_size: number;
  /** The optimizer as bptt's (Adagrad in the seed's form, the others as torch.optim's). */
  optimizer: { name: OptimizerName; lr: number; momentum: number; nesterov: boolean; beta1: number; beta2: number; epsilon: number; weight_decay: number };
  /**
   * The learning rate's schedule (src/optim/schedule.ts): kind 'constant', 'step' or 'cosine'; a cosine
   * without total_steps spans train.py's run (--steps, or --epochs × batches).
   */
  schedule: { kind: string; decay_every: number | null; decay_factor: number; total_steps: number | null; min_lr: number; warmup: number };
  /** The elementwise clip of the seed (null: none), where bptt applies it; the global-norm clip (null: none). */
  clip: number | null;
  clip_norm: number | null;
  dropout: number;
  shuffle: boolean;
  /** Epoch 0 in data order (the seed preset) instead of shuffled. */
  first_epoch_in_order: boolean;
  seed: number;
  drop_whitespace_chunks: boolean;
}

/** The recipe train.py follows for this model: its run's (a checkpoint's), else bptt's defaults. */
export function pytorchRecipe(saved: SavedModel): PytorchRecipe {
  const recipe = { ...DEFAULT_RECIPE, ...((saved.checkpoint?.training.recipe as Partial<Recipe> | undefined) ?? {}) };
  const name = recipe.optimizer ?? 'adagrad';
  const settings = optimizerSettings({ ...recipe, name });
  // A checkpoint keeps its schedule as the run fixed it (a cosine's length), else the recipe's settings.
  const schedule = (saved.checkpoint?.training.schedule as Schedule | undefined) ?? trainOptionsOf(recipe).schedule ?? CONSTANT_SCHEDULE;
  return {
    mode: recipe.mode,
    seq_length: recipe.seqLength,
    documents: recipe.documents ?? 'blank-line',
    validation_fraction: recipe.validationFraction,
    batch_size: recipe.batchSize,
    optimizer: {
      name,
      lr: recipe.learningRate,
      momentum: settings.momentum,
      nesterov: settings.nesterov,
      beta1: settings.beta1,
      beta2: settings.beta2,
      epsilon: settings.epsilon,
      weight_decay: settings.weightDecay,
    },
    schedule: {
      kind: schedule.kind,
      decay_every: schedule.decayEvery ?? null,
      decay_factor: schedule.decayFactor ?? DEFAULT_DECAY_FACTOR,
      total_steps: schedule.totalSteps ?? null,
      min_lr: schedule.minLearningRate ?? 0,
      warmup: schedule.warmupSteps ?? 0,
    },
    clip: recipe.clip === null || recipe.clip === Infinity ? null : recipe.clip,
    clip_norm: recipe.clipNorm ?? null,
    dropout: recipe.dropout ?? 0,
    shuffle: recipe.shuffle,
    first_epoch_in_order: recipe.firstEpochInOrder ?? false,
    seed: recipe.seed,
    drop_whitespace_chunks: recipe.dropWhitespaceChunks,
  };
}

/** The generated files of the project (the templates aside): name → bytes. */
export function pytorchProjectFiles(saved: SavedModel): Record<string, Uint8Array> {
  return {
    [PYTORCH_MODEL_FILE]: encodeModelFile(saved.model, saved.tokenizer),
    [PYTORCH_RECIPE_FILE]: new TextEncoder().encode(`${JSON.stringify(pytorchRecipe(saved), null, 2)}\n`),
  };
}
