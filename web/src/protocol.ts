/**
 * The messages between the page (main thread) and the training worker.
 * The worker owns the model, the trainer and every library call that costs
 * time; the page only sends settings and draws what comes back.
 */
import { DEFAULT_RECIPE, type Activation, type Cell, type Derivation, type Explanation, type OptimizerName, type Recipe } from '../../src/index.js';

/** The model and training controls, as the page shows them. */
export interface TrainingSettings {
  cell: Cell;
  /** σ of Eq. 1.2, for cell 'rnn'. */
  activation: Activation;
  hidden: number;
  layers: number;
  /** 0 = one-hot input. */
  embed: number;
  optimizer: OptimizerName;
  learningRate: number;
  batchSize: number;
  /** Elementwise clip limit; 0 = no clipping. */
  clip: number;
  seed: number;
  /** Dropout on the non-recurrent connections during training (0 = none). */
  dropout: number;
  /** Passes over the data; 0 = until paused. */
  epochs: number;
  /** Early stopping: epochs without a better validation loss; 0 = never stop early. */
  patience: number;
}

/** A recipe's model and training settings, as the page's controls show them. */
export function settingsOf(recipe: Recipe): TrainingSettings {
  return {
    cell: recipe.cell,
    activation: recipe.activation,
    hidden: recipe.hidden,
    layers: recipe.layers,
    embed: recipe.embed,
    optimizer: recipe.optimizer ?? 'adagrad',
    learningRate: recipe.learningRate,
    batchSize: recipe.batchSize,
    clip: Number.isFinite(recipe.clip) ? recipe.clip : 0,
    seed: recipe.seed,
    dropout: recipe.dropout ?? 0,
    epochs: recipe.epochs ?? 0,
    patience: recipe.patience ?? 0,
  };
}

/** The page starts from the CLI's defaults: `bptt train` with no flags (src/train/recipe.ts). */
export const DEFAULT_SETTINGS: TrainingSettings = settingsOf(DEFAULT_RECIPE);

export interface SampleRequest {
  prime: string;
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** Only samples that are not lines of the training text. */
  novel: boolean;
  count: number;
  seed: number;
}

export type ToWorker =
  | { type: 'configure'; text: string; source: string; settings: TrainingSettings; flowText: string }
  | { type: 'derive'; text: string }
  | { type: 'load'; bytes: Uint8Array; name: string; text: string; source: string; flowText: string }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'sample'; request: SampleRequest }
  | { type: 'explain'; request: SampleRequest }
  | { type: 'flow-text'; text: string }
  | { type: 'save' };

export interface ModelSummary {
  settings: TrainingSettings;
  parameters: number;
  vocabSize: number;
  backend: string;
  /** How the text is read: 'lines' (each line a sequence) or 'stream' (running text, state carried), and why. */
  mode: 'lines' | 'stream';
  modeReason: string;
  /** Mode stream: characters per window (the recipe's seqLength). */
  windowLength: number;
  /** Lines (mode lines) or windows per epoch (mode stream). */
  trainSequences: number;
  validationSequences: number;
  /** Why training is off (a loaded model whose vocabulary lacks characters of the text), or ''. */
  cannotTrain: string;
  /** 'new' or the loaded file's name. */
  origin: string;
  /** A loaded model's validation loss on the text's held-out part (NaN: a new model, or none held out). */
  validationLoss: number;
}

/** Training statistics averaged over the steps since the last point. */
export interface ProgressPoint {
  step: number;
  epoch: number;
  /** Mean nats per character over those steps' batches. */
  loss: number;
  tokensPerSecond: number;
  /** ‖∂J/∂θ‖ over all parameters, after clipping (what the optimizer used). */
  gradientNorm: number;
  /** Fraction of gradient entries that clipping changed. */
  clippedFraction: number;
}

/** The validation epoch whose weights are kept (Save writes them), as `bptt train --out` keeps its best. */
export interface BestEpoch {
  epoch: number;
  step: number;
  validationLoss: number;
  trainLoss: number;
}

export interface FlowMessage {
  /** The seed's Trick 2 table; see src/model/gradient-flow.ts. */
  steps: number;
  byLossTerm: Float64Array;
  total: Float64Array;
  losses: Float64Array;
  /** x(k): the character fed at step k ('\n' starts a line). */
  inputs: string[];
  /** y(t): the character J(t) scores. */
  targets: string[];
  /** The training step the weights are from. */
  atStep: number;
  /** The model, in words (for the comparison's label). */
  model: string;
  /** Which step Jacobian carries γ back: the seed's (6.2) for 'rnn', the cell's own otherwise. */
  cell: Cell;
}

/** One line walked through the seed's equations (src/model/derivation.ts), or why it cannot be. */
export type DerivationMessage = { model: string; atStep: number } & (
  | { unavailable: string }
  | {
      cell: 'rnn' | 'lstm';
      activation: Activation;
      /** x(t) and y(t) as characters. */
      inputs: string[];
      targets: string[];
      /** The tokens of ŷ's entries. */
      vocabulary: string[];
      derivation: Derivation;
      /** The same line through the model's forward() and backward(), as a training step runs it. */
      backward: { loss: number; Wh: Float64Array };
    }
);

export type FromWorker =
  | { type: 'ready'; summary: ModelSummary }
  | { type: 'running'; running: boolean }
  | { type: 'progress'; point: ProgressPoint }
  | { type: 'epoch'; step: number; epoch: number; trainLoss: number; validationLoss: number; best: BestEpoch | null }
  /** Training ended (epochs done, or early stopping) and the best epoch's weights were restored. */
  | { type: 'finished'; reason: string; best: BestEpoch | null }
  | { type: 'samples'; samples: string[]; streamed: boolean; atStep: number }
  /** `novel`: the explained text is not a line of the training data. */
  | { type: 'explanation'; explained: Explanation; novel: boolean }
  | { type: 'derivation'; derivation: DerivationMessage }
  | { type: 'flow'; flow: FlowMessage }
  /** `best`: the epoch whose weights the file holds (null: the current weights, no validation yet). */
  | { type: 'model-file'; bytes: Uint8Array; name: string; best: BestEpoch | null }
  | { type: 'error'; message: string };

/** The model in a few words: "sigmoid RNN, hidden 192, 1 layer, embedding 16". */
export function describeSettings(s: Pick<TrainingSettings, 'cell' | 'activation' | 'hidden' | 'layers' | 'embed'>): string {
  const cell = s.cell === 'rnn' ? `${s.activation} RNN` : s.cell.toUpperCase();
  return `${cell}, hidden ${s.hidden}, ${s.layers} layer${s.layers === 1 ? '' : 's'}, ${s.embed > 0 ? `embedding ${s.embed}` : 'one-hot'}`;
}
