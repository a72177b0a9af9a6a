/**
 * How `bptt train` words a run in its lines: the model, the optimization and the budget
 * ("a sigmoid RNN (hidden 100, …)", "Adagrad lr 0.1, clip 5", "10 epochs or 60 s").
 */
import type { RnnModel } from '../model/rnn-model.js';
import { OPTIMIZER_LABELS } from '../optim/optimizer.js';
import { DEFAULT_DECAY_FACTOR } from '../optim/schedule.js';
import type { Recipe } from '../train/recipe.js';

/** "tanh RNN", "LSTM", "GRU". */
export const unitName = (recipe: Recipe) => (recipe.cell === 'rnn' ? `${recipe.activation} RNN` : recipe.cell.toUpperCase());

/** "an LSTM (hidden 192, embedding 64, 204,315 parameters, float32)" */
export function describeModel(recipe: Recipe, model: RnnModel): string {
  const unit = unitName(recipe);
  const input = recipe.embed > 0 ? `embedding ${recipe.embed}` : 'one-hot input';
  return `${unit === 'LSTM' ? 'an' : 'a'} ${unit} (${recipe.layers > 1 ? `${recipe.layers} layers, ` : ''}hidden ${recipe.hidden}, ${input}, ${model.params.length.toLocaleString('en-US')} parameters, ${recipe.dtype})`;
}

/** "Adagrad lr 0.1, clip 5", "AdamW lr 0.005 (cosine over 1875 steps, warmup 100), clip-norm 1", … */
export function optimizationText(recipe: Recipe): string {
  const schedule: string[] = [];
  if (recipe.schedule === 'step') schedule.push(`× ${recipe.decayFactor ?? DEFAULT_DECAY_FACTOR} every ${recipe.decayEvery} steps`);
  if (recipe.schedule === 'cosine') schedule.push(`cosine${recipe.scheduleSteps ? ` over ${recipe.scheduleSteps} steps` : ''}`);
  if (recipe.warmup) schedule.push(`warmup ${recipe.warmup}`);
  const clips = [recipe.clip !== Infinity ? `clip ${recipe.clip}` : '', recipe.clipNorm !== undefined ? `clip-norm ${recipe.clipNorm}` : ''].filter(Boolean);
  return `${OPTIMIZER_LABELS[recipe.optimizer ?? 'adagrad']} lr ${recipe.learningRate}${schedule.length ? ` (${schedule.join(', ')})` : ''}, ${clips.join(', ') || 'no clipping'}`;
}

/** "10 epochs", "10 epochs or 60 s", "no budget". */
export function budgetText(recipe: Recipe): string {
  const parts: string[] = [];
  if (recipe.epochs !== undefined) parts.push(`${recipe.epochs} epoch${recipe.epochs === 1 ? '' : 's'}`);
  if (recipe.timeSeconds !== undefined) parts.push(`${recipe.timeSeconds} s`);
  if (recipe.steps !== undefined) parts.push(`${recipe.steps} steps`);
  return parts.join(' or ') || 'no budget';
}
