/**
 * The messages between the page (main thread) and the training worker.
 * The worker owns the model, the trainer and every library call that costs
 * time; the page only sends settings and draws what comes back.
 */
import type { Activation, Cell, Explanation, OptimizerName } from '../../src/index.js';

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
}

/** The page starts from the seed's sigmoid RNN (the model whose gradients the flow map is about; pin it, then try an LSTM). */
export const DEFAULT_SETTINGS: TrainingSettings = { cell: 'rnn', activation: 'sigmoid', hidden: 192, layers: 1, embed: 16, optimizer: 'adagrad', learningRate: 0.1, batchSize: 16, clip: 5, seed: 1 };

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
  trainSequences: number;
  validationSequences: number;
  /** Why training is off (a loaded model whose vocabulary lacks characters of the text), or ''. */
  cannotTrain: string;
  /** 'new' or the loaded file's name. */
  origin: string;
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

export type FromWorker =
  | { type: 'ready'; summary: ModelSummary }
  | { type: 'running'; running: boolean }
  | { type: 'progress'; point: ProgressPoint }
  | { type: 'epoch'; step: number; epoch: number; trainLoss: number; validationLoss: number }
  | { type: 'samples'; samples: string[]; streamed: boolean; atStep: number }
  | { type: 'explanation'; explained: Explanation }
  | { type: 'flow'; flow: FlowMessage }
  | { type: 'model-file'; bytes: Uint8Array; name: string }
  | { type: 'error'; message: string };

/** The model in a few words: "sigmoid RNN, hidden 192, 1 layer, embedding 16". */
export function describeSettings(s: Pick<TrainingSettings, 'cell' | 'activation' | 'hidden' | 'layers' | 'embed'>): string {
  const cell = s.cell === 'rnn' ? `${s.activation} RNN` : s.cell.toUpperCase();
  return `${cell}, hidden ${s.hidden}, ${s.layers} layer${s.layers === 1 ? '' : 's'}, ${s.embed > 0 ? `embedding ${s.embed}` : 'one-hot'}`;
}
