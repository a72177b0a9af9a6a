/**
 * Checkpoints: a model file plus what a run needs to continue exactly where
 * it stopped: the optimizer's state arrays (Adagrad's memory, Adam's moments, …)
 * and scalars (Adam's step count), the recipe, the position (step, epoch,
 * batch) and a fingerprint of the training data.
 */
import { allocate } from '../core/arrays.js';
import { BpttError } from '../core/errors.js';
import type { Kernels } from '../kernels/kernels.js';
import { decodeModelFile, encodeModelFile, type SavedModel, type TrainingDataRecord } from '../io/model-file.js';
import type { Schedule } from '../optim/schedule.js';
import type { Tokenizer } from '../text/tokenizer.js';
import type { Recipe } from './recipe.js';
import type { Trainer, TrainingPosition } from './trainer.js';

/** A position as a checkpoint stores it (JSON): the carried state as a list of numbers. */
export type SavedPosition = Omit<TrainingPosition, 'carriedState'> & { carriedState?: number[] };

/** What a checkpoint records about a run besides the weights: recipe, data, position and optimizer. */
export interface TrainingState {
  recipe: Recipe;
  position: SavedPosition;
  /** --data as given (a built-in corpus's name, or a path relative to `folder`). */
  dataSource: string;
  dataFingerprint: string;
  /** The working folder the run started in: relative paths above resolve against it (absent in older checkpoints). */
  folder?: string;
  /** The run's output files, as absolute paths: a resume keeps writing them (absent in older checkpoints). */
  outputs?: { out: string; log?: string };
  /** The run's identity, the same through its resumes; its model files record it too (TrainingDataRecord.run). */
  runId?: string;
  /** The optimizer's scalars (Optimizer.counters); absent in checkpoints written before there were any. */
  optimizerCounters?: Record<string, number>;
  /** The schedule as the run started it (a cosine's length fixed then); absent in older checkpoints (constant). */
  schedule?: Schedule;
}

/** The bytes of a checkpoint: the model file plus the optimizer state and the training position. */
export function encodeCheckpoint(
  trainer: Trainer,
  tokenizer: Tokenizer,
  state: Omit<TrainingState, 'position' | 'optimizerCounters' | 'schedule'>,
  data?: TrainingDataRecord,
): Uint8Array {
  // The first epoch's order is written out: a checkpoint without it is older than first-epoch shuffling.
  const recipe = { ...state.recipe, firstEpochInOrder: state.recipe.firstEpochInOrder ?? false };
  const { carriedState, ...position } = trainer.position;
  const saved: SavedPosition = carriedState ? { ...position, carriedState: Array.from(carriedState) } : position;
  const training: TrainingState = { ...state, recipe, position: saved, optimizerCounters: { ...trainer.optimizer.counters }, schedule: trainer.schedule };
  return encodeModelFile(trainer.model, tokenizer, {
    checkpoint: { optimizerState: { ...trainer.optimizer.state }, training: training as unknown as Record<string, unknown> },
    data,
  });
}

/** A checkpoint read back. */
export interface LoadedCheckpoint extends SavedModel {
  training: TrainingState;
}

/** Reads a checkpoint (see encodeCheckpoint); `source` names it in errors. */
export function decodeCheckpoint(bytes: Uint8Array, source: string, kernels?: Kernels): LoadedCheckpoint {
  const saved = decodeModelFile(bytes, source, kernels);
  const training = saved.checkpoint?.training as TrainingState | undefined;
  if (!saved.checkpoint || !training?.recipe || !training.position || typeof training.position.step !== 'number') {
    throw new BpttError(`${source} is a model file, not a checkpoint`, 'resume from the file given to --checkpoint, or start from this one with --init');
  }
  // Checkpoints from before the first epoch was shuffled do not say: their runs kept its data order.
  if (training.recipe.firstEpochInOrder === undefined) training.recipe.firstEpochInOrder = true;
  // JSON has no Infinity: a run without elementwise clipping saved clip as null.
  if (training.recipe.clip === null) training.recipe.clip = Infinity;
  // Dropout is a training setting, not part of the model file's architecture: the run's recipe has it.
  if (training.recipe.dropout !== undefined) (saved.model.config as { dropout?: number }).dropout = training.recipe.dropout;
  return { ...saved, training };
}

/**
 * Puts a trainer back where a checkpoint left it: weights are already in the
 * model; this restores the optimizer's arrays and scalars, and the position.
 * (Checkpoints from before there were other optimizers hold Adagrad's memory
 * only, and their recipe names no optimizer, so the trainer is an Adagrad.)
 */
export function restoreTrainer(trainer: Trainer, checkpoint: LoadedCheckpoint): void {
  const saved = checkpoint.checkpoint!.optimizerState;
  for (const [name, array] of Object.entries(trainer.optimizer.state)) {
    if (!saved[name])
      throw new BpttError(
        `the checkpoint has no ${name} for the ${trainer.optimizer.name} optimizer`,
        'the checkpoint is damaged or from another run; resume from another one or start a new run',
      );
    array.set(saved[name]);
  }
  Object.assign(trainer.optimizer.counters, checkpoint.training.optimizerCounters ?? {});
  // A cosine keeps the length it had when the run started, even if the resumed run's budget differs.
  if (checkpoint.training.schedule) trainer.schedule = checkpoint.training.schedule;
  const { carriedState, ...position } = checkpoint.training.position;
  Object.assign(trainer.position, position);
  if (carriedState) {
    trainer.position.carriedState = allocate(trainer.model.config.dtype, carriedState.length);
    trainer.position.carriedState.set(carriedState);
  }
}
