/**
 * Checkpoints: a model file plus what a run needs to continue exactly where
 * it stopped: Adagrad's memory, the recipe, the position (step, epoch, batch)
 * and a fingerprint of the training data.
 */
import { BpttError } from '../core/errors.js';
import type { Kernels } from '../kernels/kernels.js';
import { decodeModelFile, encodeModelFile, type SavedModel } from '../io/model-file.js';
import type { Tokenizer } from '../text/tokenizer.js';
import type { Recipe } from './recipe.js';
import type { Trainer, TrainingPosition } from './trainer.js';

export interface TrainingState {
  recipe: Recipe;
  position: TrainingPosition;
  dataSource: string;
  dataFingerprint: string;
}

export function encodeCheckpoint(trainer: Trainer, tokenizer: Tokenizer, state: Omit<TrainingState, 'position'>): Uint8Array {
  const training: TrainingState = { ...state, position: { ...trainer.position } };
  return encodeModelFile(trainer.model, tokenizer, { optimizerState: { ...trainer.optimizer.state }, training: training as unknown as Record<string, unknown> });
}

export interface LoadedCheckpoint extends SavedModel {
  training: TrainingState;
}

export function decodeCheckpoint(bytes: Uint8Array, source: string, kernels?: Kernels): LoadedCheckpoint {
  const saved = decodeModelFile(bytes, source, kernels);
  const training = saved.checkpoint?.training as TrainingState | undefined;
  if (!saved.checkpoint || !training?.recipe || !training.position || typeof training.position.step !== 'number' || !saved.checkpoint.optimizerState.memory) {
    throw new BpttError(`${source} is a model file, not a checkpoint`, 'resume from the file given to --checkpoint, or start from this one with --init');
  }
  return { ...saved, training };
}

/** Puts a trainer back where a checkpoint left it: weights are already in the model; this restores the optimizer and position. */
export function restoreTrainer(trainer: Trainer, checkpoint: LoadedCheckpoint): void {
  trainer.optimizer.state.memory.set(checkpoint.checkpoint!.optimizerState.memory);
  Object.assign(trainer.position, checkpoint.training.position);
}
