/**
 * The training loop: for each minibatch,
 *   forward → loss → backward (BPTT, clipping where the notebook clips)
 *   → global-norm clipping (if asked) → the optimizer's update at the schedule's learning rate,
 * with a validation pass after every epoch. It owns no console and no files:
 * it emits events that the CLI (or a browser page) displays and acts on, so
 * the same loop runs anywhere.
 *
 * Runs are deterministic: the batch order of epoch e comes from Random(seed, e),
 * so a run resumed from a checkpoint at (epoch, batch) continues exactly as
 * the uninterrupted run would have.
 *
 * In stream mode (the data is TokenStreams, see data/stream.ts) the batches are
 * the consecutive windows of B streams, in order, and each window starts from
 * the state the previous one ended in (carriedState, part of the position).
 */
import { BpttError } from '../core/errors.js';
import type { Batch } from '../core/batch.js';
import type { FloatArray } from '../core/arrays.js';
import { batches, epochOrder, type Sequence } from '../data/sequences.js';
import { TokenStreams } from '../data/stream.js';
import { DataParallel, type GradientResult } from './data-parallel.js';
import type { RnnModel } from '../model/rnn-model.js';
import { clipByGlobalNorm } from '../optim/clip.js';
import { createOptimizer } from '../optim/create-optimizer.js';
import type { Optimizer, OptimizerSpec } from '../optim/optimizer.js';
import { CONSTANT_SCHEDULE, learningRateAt, type Schedule } from '../optim/schedule.js';

/** How a Trainer trains: batch size, optimizer, learning rate and schedule, clipping, budget and early stopping. */
export interface TrainOptions {
  /** Sequences per minibatch (the seed: 512). */
  batchSize: number;
  /** The optimizer and its hyperparameters (default: the seed's Adagrad). */
  optimizer?: OptimizerSpec;
  /** The (base) learning rate (the seed: 0.1, Adagrad's). */
  learningRate: number;
  /** How the learning rate changes with the step (default: constant); a cosine without totalSteps spans the budget's steps. */
  schedule?: Schedule;
  /** Elementwise gradient clip (the seed: 5); Infinity for none. */
  clip: number;
  /** Clip the gradients' global L2 norm to this, after backward (and its elementwise clip); absent: no norm clipping. */
  clipNorm?: number;
  /** Stop after this many epochs ... */
  epochs?: number;
  /** ... or after this many seconds of training ... */
  timeBudgetSeconds?: number;
  /** ... or after this many optimizer steps, whichever comes first. */
  maxSteps?: number;
  /** Shuffle the training sequences in every epoch (see epochOrder). */
  shuffle: boolean;
  /** Keep the data order in the first epoch, as the seed notebook does (absent: shuffle it too). */
  firstEpochInOrder?: boolean;
  seed: number;
  /** Early stopping: stop after this many epochs without a new best validation loss. */
  patience?: number;
  /** Also evaluate every this many steps (an 'evaluation' event), for long epochs (stream mode over a big text). */
  evaluateEvery?: number;
  /**
   * Evaluate once more when the budget runs out after the last evaluation (an 'evaluation' event), so
   * the last weights compete for the best; a time budget then stops training early enough for that
   * evaluation to fit in it.
   */
  evaluateAtEnd?: boolean;
}

/** Where a run is: enough, with the weights and optimizer state, to resume it exactly. */
export interface TrainingPosition {
  /** Optimizer steps taken so far. */
  step: number;
  epoch: number;
  /** Batches of the current epoch already trained on. */
  batchInEpoch: number;
  /** Seconds spent training so far (across resumes). */
  elapsedSeconds: number;
  /** The lowest validation loss so far and the epoch that reached it (0 before any). */
  bestValidationLoss?: number;
  bestEpoch?: number;
  /**
   * Stream mode: the state (B×stateSize, see RnnModel.finalState) the streams ended the last
   * window in, which the next window starts from; absent at the start of an epoch (zeros). A typed
   * array in memory; a checkpoint stores it as a list of numbers (checkpoint.ts).
   */
  carriedState?: FloatArray;
}

/** What a Trainer runs on besides the model, the data and the options. */
export interface TrainerSetup {
  /** The clock, in milliseconds (tests pass a fake one). */
  now?: () => number;
  /** Spreads each batch over several threads (see data-parallel.ts); one thread without it. */
  parallel?: DataParallel;
}

/** What the Trainer emits after every optimizer step. */
export interface StepEvent {
  position: TrainingPosition;
  /** Mean nats per real token of this batch. */
  loss: number;
  tokens: number;
  tokensPerSecond: number;
  /** Fraction of gradient entries that clipping changed (1 when clipping by norm scaled them all). */
  clippedFraction: number;
  /** ‖g‖₂ of all gradients before clipping by norm (after the elementwise clip, which is part of backward). */
  gradientNorm: number;
  /** The learning rate this step used (the schedule's). */
  learningRate: number;
  /** 0..1 of the run's budget (epochs, steps or time). */
  progress: number;
}

/** What the Trainer emits after every epoch (and evaluation): the losses, and whether this is the best model so far. */
export interface EpochEvent {
  position: TrainingPosition;
  /** Mean nats per character over the epoch's training batches. */
  trainLoss: number;
  /** Mean nats per character on the validation sequences (NaN without validation data). */
  validationLoss: number;
  /** Whether this epoch's validation loss is the best so far (the model to keep). */
  improved: boolean;
}

/** The Trainer's events and what each carries. */
export interface TrainerEvents {
  step: StepEvent;
  epoch: EpochEvent;
  /** Every options.evaluateEvery steps: trainLoss covers the steps since the last epoch or evaluation. */
  evaluation: EpochEvent;
}

/** A model's loss on some data. */
export interface EvaluationResult {
  natsPerToken: number;
  tokens: number;
  sequences: number;
}

/** The loss or the gradients became NaN or infinite; the weights were not updated with them. */
export class DivergenceError extends BpttError {
  constructor(
    readonly step: number,
    readonly what: string,
  ) {
    super(`training diverged at step ${step}: ${what}`, 'lower --lr or --clip and train again');
    this.name = 'DivergenceError';
  }
}

/** How many times its starting point the loss may rise before the run counts as diverged (see checkLoss). */
export const DIVERGENCE_FACTOR = 10;

/** Whether every entry is a finite number. */
function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

/** A function Trainer.on calls with each event of its kind. */
export type Listener<E> = (event: E) => void;

/** The training loop (see the top of this file): run() trains until the budget is spent, emitting step and epoch events. */
export class Trainer {
  readonly optimizer: Optimizer;
  /** The schedule, with a cosine's length filled in from the budget when the run started (a checkpoint keeps it). */
  schedule: Schedule;
  readonly position: TrainingPosition = { step: 0, epoch: 0, batchInEpoch: 0, elapsedSeconds: 0 };
  /** The loss (nats per token) of this run's first step: the yardstick of divergence. */
  private firstLoss?: number;
  private readonly listeners: { [K in keyof TrainerEvents]: Listener<TrainerEvents[K]>[] } = { step: [], epoch: [], evaluation: [] };
  private epochLossSum = 0;
  private epochTokens = 0;
  /** Loss and tokens since the last evaluation event. */
  private periodLossSum = 0;
  private periodTokens = 0;
  private stopRequested = false;
  /** Seconds and tokens of training steps (evaluations excluded), and how long the last evaluation took: to plan the final one. */
  private trainingSeconds = 0;
  private trainedTokens = 0;
  private evaluationSeconds?: number;
  private cachedOrder: { epoch: number; order: number[] } | null = null;
  private readonly now: () => number;
  /** How gradients are computed: data-parallel over threads, a single thread being the case with no replicas. */
  private readonly threads: DataParallel;

  constructor(
    readonly model: RnnModel,
    /** Sequences (modes lines, chunks), or the training streams (mode stream). */
    readonly train: readonly Sequence[] | TokenStreams,
    /** Sequences, or the held-out streams of mode stream; empty for none. */
    readonly validation: readonly Sequence[] | TokenStreams,
    readonly options: TrainOptions,
    setup: TrainerSetup = {},
  ) {
    this.now = setup.now ?? (() => performance.now());
    this.threads = setup.parallel ?? new DataParallel(model, null, []);
    if (!(train instanceof TokenStreams) && train.length === 0) throw new BpttError('there is no training data', 'give a data file with at least one line');
    this.optimizer = createOptimizer(options.optimizer ?? { name: 'adagrad' }, model.params.length, model.config.dtype, model.kernels);
    this.schedule = this.resolveSchedule(options.schedule ?? CONSTANT_SCHEDULE);
    learningRateAt(options.learningRate, this.schedule, 0, this.spent()); // a schedule missing a setting fails here, not at the first step
  }

  /** Calls `listener` on every `event`. */
  on<K extends keyof TrainerEvents>(event: K, listener: Listener<TrainerEvents[K]>): this {
    this.listeners[event].push(listener);
    return this;
  }

  private emit<K extends keyof TrainerEvents>(event: K, payload: TrainerEvents[K]): void {
    for (const listener of this.listeners[event]) listener(payload);
  }

  get batchesPerEpoch(): number {
    if (this.train instanceof TokenStreams) return this.train.windows;
    return Math.ceil(this.train.length / this.options.batchSize);
  }

  /** The order of training sequences in an epoch (data/sequences.ts). */
  epochOrder(epoch: number): number[] {
    if (this.cachedOrder?.epoch === epoch) return this.cachedOrder.order;
    const order = epochOrder((this.train as readonly Sequence[]).length, epoch, this.options);
    this.cachedOrder = { epoch, order };
    return order;
  }

  /** The fraction of a time budget used (for a cosine over it, see optim/schedule.ts); undefined without one. */
  private spent(): number | undefined {
    const budget = this.timeBudget();
    return budget === undefined ? undefined : Math.min(1, this.position.elapsedSeconds / Math.max(budget, 1e-9));
  }

  /** The seconds training may use: the time budget, less what the final evaluation is expected to take (evaluateAtEnd). */
  private timeBudget(): number | undefined {
    const { timeBudgetSeconds } = this.options;
    return timeBudgetSeconds === undefined ? undefined : Math.max(0, timeBudgetSeconds - this.finalEvaluationSeconds());
  }

  /**
   * How long the final evaluation will take: as long as the last one, or before any, the validation
   * tokens at the training speed so far (a forward pass alone costs about a third of a training
   * step's forward and backward: the estimate errs on the long side).
   */
  private finalEvaluationSeconds(): number {
    if (!this.options.evaluateAtEnd || !this.hasValidation) return 0;
    if (this.evaluationSeconds !== undefined) return this.evaluationSeconds;
    if (this.trainedTokens === 0) return 0;
    const validationTokens = this.validation instanceof TokenStreams ? this.validation.tokens : this.validation.reduce((sum, s) => sum + s.target.length, 0);
    return (0.5 * validationTokens * this.trainingSeconds) / this.trainedTokens;
  }

  private get hasValidation(): boolean {
    return this.validation instanceof TokenStreams || this.validation.length > 0;
  }

  /** A cosine schedule without a length spans the run: --steps, or --epochs × batches per epoch (the smaller). */
  private resolveSchedule(schedule: Schedule): Schedule {
    if (schedule.kind !== 'cosine' || schedule.totalSteps !== undefined) return schedule;
    const { epochs, maxSteps } = this.options;
    const budgets = [maxSteps, epochs === undefined ? undefined : epochs * this.batchesPerEpoch].filter((n): n is number => n !== undefined);
    return budgets.length > 0 ? { ...schedule, totalSteps: Math.min(...budgets) } : schedule;
  }

  /** Asks run() to stop after the current step (e.g. on Ctrl-C). */
  requestStop(): void {
    this.stopRequested = true;
  }

  /** Whether early stopping (options.patience) ended the run: that many epochs passed without a better validation loss. */
  get stoppedEarly(): boolean {
    const { patience } = this.options;
    const p = this.position;
    return patience !== undefined && p.bestEpoch !== undefined && p.epoch - p.bestEpoch >= patience;
  }

  private finished(): boolean {
    const { epochs, maxSteps } = this.options;
    const timeBudgetSeconds = this.timeBudget();
    const p = this.position;
    return (
      this.stopRequested ||
      this.stoppedEarly ||
      (epochs !== undefined && p.epoch >= epochs) ||
      (maxSteps !== undefined && p.step >= maxSteps) ||
      (timeBudgetSeconds !== undefined && p.elapsedSeconds >= timeBudgetSeconds)
    );
  }

  private progress(): number {
    const { epochs, maxSteps } = this.options;
    const timeBudgetSeconds = this.timeBudget();
    const p = this.position;
    const fractions: number[] = [];
    if (epochs !== undefined) fractions.push((p.epoch + p.batchInEpoch / this.batchesPerEpoch) / epochs);
    if (maxSteps !== undefined) fractions.push(p.step / maxSteps);
    if (timeBudgetSeconds !== undefined) fractions.push(p.elapsedSeconds / timeBudgetSeconds);
    return Math.min(1, Math.max(0, ...fractions));
  }

  /**
   * Trains on the next batch; returns the step's event (also emitted). Synchronous: only without
   * replicas (a browser's main loop); trainStepAsync() runs on every thread.
   */
  trainStep(): StepEvent {
    const batch = this.nextBatch();
    const started = this.now();
    return this.afterGradients(batch, this.threads.computeGradientsNow(batch, this.gradientRequest()), started);
  }

  /** Trains on the next batch, spread over the threads of `setup.parallel` when one was given. */
  async trainStepAsync(): Promise<StepEvent> {
    const batch = this.nextBatch();
    const started = this.now();
    return this.afterGradients(batch, await this.threads.computeGradients(batch, this.gradientRequest()), started);
  }

  /**
   * The loss is J = Σ mask·J(t) / N with N the batch size (a short last batch still divides by it, as
   * the seed's padded one does). In stream mode a window starts from the state the previous window
   * ended in, so the text is one long sequence to the forward pass. Truncated BPTT: that state enters
   * as a constant h0, so backward() stops there (γ(0) = ∂J/∂h0 is computed but not passed on), and each
   * step's gradients reach back at most T steps. Zeros (no h0) for the first window of an epoch, and in
   * other modes.
   */
  private gradientRequest() {
    const streams = this.train instanceof TokenStreams;
    return {
      scale: 1 / this.options.batchSize,
      clip: this.options.clip,
      dropoutSeed: this.dropoutSeed(),
      h0: this.position.carriedState,
      wantFinalState: streams,
    };
  }

  /** Checks the loss, keeps the streams' final state for the next window, and updates the weights. */
  private afterGradients(batch: Batch, { lossSum, clipped, finalState }: GradientResult, started: number): StepEvent {
    this.checkLoss(lossSum, batch.tokens);
    if (finalState) this.position.carriedState = finalState;
    return this.update(batch, lossSum, clipped, started);
  }

  /** The dropout masks of a step come from the run's seed and the step number: a resumed run draws the same ones. */
  private dropoutSeed(): number {
    return (Math.imul(this.options.seed + 1, 0x9e3779b1) ^ (this.position.step + 1)) >>> 0;
  }

  private nextBatch(): Batch {
    const { batchSize } = this.options;
    const p = this.position;
    if (this.train instanceof TokenStreams) return this.train.window(p.batchInEpoch);
    const order = this.epochOrder(p.epoch);
    const batchOrder = order.slice(p.batchInEpoch * batchSize, (p.batchInEpoch + 1) * batchSize);
    return batches(this.train, batchOrder, batchSize).next().value!;
  }

  private checkLoss(lossSum: number, tokens: number): void {
    if (!Number.isFinite(lossSum)) throw new DivergenceError(this.position.step + 1, `the loss became ${lossSum}`);
    // A finite loss can explode too (a learning rate far too high: thousands of nats per character).
    // Stop, before this step's update, once the loss is DIVERGENCE_FACTOR times above the larger of a
    // uniform guess (ln V nats per character) and the first loss of this run.
    const loss = lossSum / tokens;
    this.firstLoss ??= loss;
    const limit = DIVERGENCE_FACTOR * Math.max(Math.log(this.model.config.vocabSize), this.firstLoss);
    if (loss > limit) {
      throw new DivergenceError(
        this.position.step + 1,
        `the loss rose to ${loss.toFixed(1)} nats/char, over ${DIVERGENCE_FACTOR} times where it started (${(limit / DIVERGENCE_FACTOR).toFixed(2)})`,
      );
    }
  }

  /** Clipping by norm and the optimizer's update on the gradients in model.grads, then bookkeeping and events. */
  private update(batch: Batch, lossSum: number, clipped: number, started: number): StepEvent {
    const p = this.position;
    const grads = this.model.grads;
    // Clipping cannot tame NaN (it fails every comparison): stop before the update would write it into the weights.
    // One pass gives the norm and the test: Σ g² is finite unless some g is NaN or infinite (or the sum overflows).
    const squares = this.model.kernels.sumOfSquares(grads, grads.length);
    if (!Number.isFinite(squares) && !allFinite(grads)) throw new DivergenceError(p.step + 1, 'the gradients became NaN or infinite');
    const gradientNorm = Math.sqrt(squares);
    if (this.options.clipNorm !== undefined && clipByGlobalNorm(grads, this.options.clipNorm, gradientNorm)) clipped = grads.length;
    const learningRate = learningRateAt(this.options.learningRate, this.schedule, p.step, this.spent());
    this.optimizer.step(this.model.params, grads, learningRate);
    const seconds = (this.now() - started) / 1000;

    p.step++;
    p.batchInEpoch++;
    p.elapsedSeconds += seconds;
    this.trainingSeconds += seconds;
    this.trainedTokens += batch.tokens;
    this.epochLossSum += lossSum;
    this.epochTokens += batch.tokens;
    this.periodLossSum += lossSum;
    this.periodTokens += batch.tokens;
    const event: StepEvent = {
      position: { ...p },
      loss: lossSum / batch.tokens,
      tokens: batch.tokens,
      tokensPerSecond: batch.tokens / Math.max(seconds, 1e-9),
      clippedFraction: clipped / grads.length,
      gradientNorm,
      learningRate,
      progress: this.progress(),
    };
    this.emit('step', event);

    if (p.batchInEpoch >= this.batchesPerEpoch) this.endEpoch();
    else if (this.options.evaluateEvery && p.step % this.options.evaluateEvery === 0) {
      const trainLoss = this.periodLossSum / Math.max(1, this.periodTokens);
      this.emit('evaluation', { position: { ...p }, trainLoss, ...this.validate() });
    }
    return event;
  }

  /** The validation loss now, and whether it is the best so far (recorded in the position). */
  private validate(): { validationLoss: number; improved: boolean } {
    const p = this.position;
    const started = this.now();
    const validationLoss = this.hasValidation ? this.evaluate(this.validation).natsPerToken : NaN;
    const seconds = (this.now() - started) / 1000;
    p.elapsedSeconds += seconds;
    if (this.hasValidation) this.evaluationSeconds = seconds;
    this.periodLossSum = 0;
    this.periodTokens = 0;
    const improved = validationLoss < (p.bestValidationLoss ?? Infinity);
    if (improved) {
      p.bestValidationLoss = validationLoss;
      p.bestEpoch = p.epoch;
    }
    return { validationLoss, improved };
  }

  private endEpoch(): void {
    const p = this.position;
    const trainLoss = this.epochLossSum / Math.max(1, this.epochTokens);
    p.epoch++;
    p.batchInEpoch = 0;
    p.carriedState = undefined; // the next pass starts every stream from zeros again
    this.epochLossSum = 0;
    this.epochTokens = 0;
    this.emit('epoch', { position: { ...p }, trainLoss, ...this.validate() });
  }

  /**
   * Trains until the budget is spent, yielding to the event loop every
   * `yieldEveryMs` so a terminal or a page stays responsive.
   */
  async run(yieldEveryMs = 50): Promise<TrainingPosition> {
    let lastYield = this.now();
    while (!this.finished()) {
      await this.trainStepAsync();
      if (this.now() - lastYield >= yieldEveryMs) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = this.now();
      }
    }
    // Steps trained since the last evaluation (the budget ran out mid-epoch): evaluate their weights too.
    if (this.options.evaluateAtEnd && this.hasValidation && !this.stopRequested && this.periodTokens > 0) {
      const trainLoss = this.periodLossSum / this.periodTokens;
      this.emit('evaluation', { position: { ...this.position }, trainLoss, ...this.validate() });
    }
    return { ...this.position };
  }

  /** Mean nats per token of the model on some sequences (forward only, in batches), or on streams with carried state. */
  evaluate(data: readonly Sequence[] | TokenStreams, batchSize = 256): EvaluationResult {
    return data instanceof TokenStreams ? evaluateStreams(this.model, data) : evaluate(this.model, data, batchSize);
  }
}

/** Mean nats per token of a model on streams: window after window, each starting from the state the last one ended in. */
export function evaluateStreams(model: RnnModel, streams: TokenStreams): EvaluationResult {
  let lossSum = 0;
  let state: FloatArray | undefined;
  for (let w = 0; w < streams.windows; w++) {
    lossSum += model.forward(streams.window(w), state);
    state = model.finalState().slice();
  }
  return { natsPerToken: lossSum / streams.tokens, tokens: streams.tokens, sequences: streams.streams };
}

/** Mean nats per token of a model on sequences: Σ mask·J(t) / Σ mask, forward only. */
export function evaluate(model: RnnModel, sequences: readonly Sequence[], batchSize = 256): EvaluationResult {
  let lossSum = 0;
  let tokens = 0;
  for (const batch of batches(
    sequences,
    sequences.map((_, i) => i),
    batchSize,
  )) {
    lossSum += model.forward(batch);
    tokens += batch.tokens;
  }
  return { natsPerToken: tokens > 0 ? lossSum / tokens : NaN, tokens, sequences: sequences.length };
}
