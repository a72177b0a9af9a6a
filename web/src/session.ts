/**
 * One playground session inside the worker: the data, the model, the trainer
 * and the loop that trains in short slices so messages (pause, sample, save)
 * get answered between them. Everything here is a call into the library.
 */
import {
  BpttError,
  type Tokenizer,
  batchFromRows,
  CharTokenizer,
  DEFAULT_RECIPE,
  TEXT_RECIPE,
  derive,
  type EpochEvent,
  streamEvaluateEvery,
  streamReadingOf,
  Trainer,
  decodeModelFile,
  encodeModelFile,
  fingerprint,
  explainSample,
  generate,
  gradientFlow,
  loadKernels,
  modelConfigOf,
  prepareData,
  prepareStreams,
  trainOptionsOf,
  RnnModel,
  type Kernels,
  type FloatArray,
  type Recipe,
  type Sequence,
  type StepEvent,
  type TokenStreams,
  type TrainingDataRecord,
} from '../../src/index.js';
import { autoMode } from './mode.js';
import {
  DEFAULT_SETTINGS,
  describeSettings,
  type BestEpoch,
  type FromWorker,
  type ModelSummary,
  type ProgressPoint,
  type SampleRequest,
  type TrainingSettings,
} from './protocol.js';

/** The data as the trainer reads it: lines (each a sequence) or streams of running text. */
interface Data {
  mode: 'lines' | 'stream';
  modeReason: string;
  tokenizer: Tokenizer;
  train: readonly Sequence[] | TokenStreams;
  validation: readonly Sequence[] | TokenStreams;
  /** The training lines as the tokenizer decodes them (mode lines), for Novel only; none in mode stream. */
  lines: ReadonlySet<string>;
}

/** The longest sequence the gradient-flow map shows (it runs T(T−1)/2 rows). */
export const FLOW_MAX_STEPS = 24;
/** The longest sequence the derivation walks: its tables show every step. */
export const DERIVE_MAX_STEPS = 10;
/** Characters per sample in mode stream: a passage of running text, not one line. */
export const PASSAGE_LENGTH = 160;
const SLICE_MS = 40; // train this long, then let messages in
const PROGRESS_EVERY_MS = 150;
const FLOW_EVERY_MS = 800;
const SAMPLES_EVERY_MS = 2000;

export class Session {
  private kernels!: Kernels;
  private model!: RnnModel;
  private tokenizer!: Tokenizer;
  private data: Data | null = null;
  /** What the model trains on, recorded in the file it saves (as the CLI's are: `bptt sample --novel` reads it). */
  private record: TrainingDataRecord | undefined;
  /** The recipe of the current run (the page's settings on the mode's defaults). */
  private recipe: Recipe = DEFAULT_RECIPE;
  /** The kept weights: the epoch with the lowest validation loss so far (`bptt train --out` keeps it too). */
  private best: (BestEpoch & { params: FloatArray }) | null = null;
  private trainer: Trainer | null = null;
  private settings!: TrainingSettings;
  /** 'new', or the name of the model file the weights came from. */
  private origin = 'new';
  private running = false;
  private flowText = '';
  private sampler: SampleRequest = { prime: '', temperature: 0.8, topK: 0, novel: true, count: 5, seed: 1 };
  private pending: StepEvent[] = [];
  private pendingGradientNorm = 0;
  private lastProgress = 0;
  private lastFlow = 0;
  private lastSamples = 0;
  private generation = 0; // bumped by every configure/load, so an old loop stops

  constructor(private readonly post: (message: FromWorker, transfer?: Transferable[]) => void) {}

  /** A new model with fresh weights for this text and these settings. */
  async configure(text: string, source: string, settings: TrainingSettings, flowText: string): Promise<void> {
    this.stop();
    this.kernels = await loadKernels('auto'); // a fresh WebAssembly memory: the last model's is released
    const { data, recipe } = dataOf(text, settings, source);
    this.data = data;
    this.record = dataRecord(text, source);
    this.tokenizer = data.tokenizer;
    this.model = RnnModel.initialized(modelConfigOf(recipe, data.tokenizer.size), settings.seed, this.kernels);
    this.settings = settings;
    this.startTrainer(recipe, 'new', '');
    this.setFlowText(flowText);
  }

  /** A model file from the page (the CLI's or the playground's); trains on the text if its vocabulary covers it. */
  async load(bytes: Uint8Array, name: string, text: string, source: string, flowText: string): Promise<void> {
    this.stop();
    this.kernels = await loadKernels('auto');
    const saved = decodeModelFile(bytes, name, this.kernels);
    this.model = saved.model;
    this.tokenizer = saved.tokenizer;
    const c = saved.model.config;
    this.settings = {
      ...(this.settings ?? DEFAULT_SETTINGS),
      cell: c.cell,
      activation: c.activation,
      hidden: c.hidden,
      layers: c.layers,
      embed: c.embed,
      dropout: c.dropout ?? 0,
    };
    const file = { dtype: c.dtype, init: c.init, lowercase: saved.tokenizer.lowercase };
    let recipe = { ...recipeOf(this.settings, saved.metadata.stream ? TEXT_RECIPE : DEFAULT_RECIPE), ...file };
    let cannotTrain = '';
    try {
      const prepared = dataOf(text, this.settings, source, saved.tokenizer, file);
      this.data = prepared.data;
      this.record = dataRecord(text, source);
      recipe = prepared.recipe;
    } catch (error) {
      if (!(error instanceof BpttError)) throw error;
      this.data = null;
      this.record = undefined;
      cannotTrain = `${error.message}; sampling and the views still work`;
    }
    this.startTrainer(recipe, name, cannotTrain);
    this.setFlowText(flowText);
  }

  private startTrainer(recipe: Recipe, origin: string, cannotTrain: string): void {
    this.generation++;
    this.origin = origin;
    this.trainer = null;
    this.best = null;
    this.pending = [];
    this.recipe = recipe;
    if (this.data) {
      const trainer = new Trainer(this.model, this.data.train, this.data.validation, trainOptionsOf(recipe));
      trainer.on('step', (event) => {
        this.pending.push(event);
        this.pendingGradientNorm += event.gradientNorm;
      });
      const onValidation = (event: EpochEvent) => {
        const { step, epoch } = event.position;
        // As `bptt train --out`: the weights of the best validation are the ones kept.
        if (event.improved) this.best = { epoch, step, validationLoss: event.validationLoss, trainLoss: event.trainLoss, params: this.model.params.slice() };
        this.flushProgress(); // the training points up to this validation first, so the charts stay in step order
        this.post({ type: 'epoch', step, epoch, trainLoss: event.trainLoss, validationLoss: event.validationLoss, best: this.bestEpoch() });
      };
      trainer.on('epoch', onValidation);
      trainer.on('evaluation', onValidation); // mode stream on a long text: every evaluateEvery steps, as the CLI
      this.trainer = trainer;
    }
    // A loaded model: how well it does on this text's held-out part (the best epoch's loss, for a file the page or the CLI kept).
    const validationLoss =
      origin !== 'new' && this.trainer && sizeOf(this.data?.validation) > 0 ? this.trainer.evaluate(this.data!.validation).natsPerToken : NaN;
    const summary: ModelSummary = {
      validationLoss,
      settings: this.settings,
      parameters: this.model.params.length,
      vocabSize: this.tokenizer.size,
      backend: this.model.kernels.name,
      mode: this.data?.mode ?? 'lines',
      windowLength: recipe.seqLength,
      modeReason: this.data?.modeReason ?? '',
      trainSequences: this.trainer?.batchesPerEpoch !== undefined && this.data?.mode === 'stream' ? this.trainer.batchesPerEpoch : sizeOf(this.data?.train),
      validationSequences: sizeOf(this.data?.validation),
      cannotTrain,
      origin,
    };
    this.post({ type: 'ready', summary });
  }

  start(): void {
    if (this.running || !this.trainer) return;
    this.running = true;
    this.post({ type: 'running', running: true });
    void this.loop(this.generation);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.flushProgress();
    this.post({ type: 'running', running: false });
  }

  private async loop(generation: number): Promise<void> {
    const trainer = this.trainer!;
    while (this.running && generation === this.generation) {
      const sliceEnd = performance.now() + SLICE_MS;
      try {
        while (performance.now() < sliceEnd && !this.finished(trainer)) trainer.trainStep();
      } catch (error) {
        this.stop();
        this.post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
        return;
      }
      if (this.finished(trainer)) return this.finish(trainer);
      const now = performance.now();
      if (now - this.lastProgress >= PROGRESS_EVERY_MS) this.flushProgress();
      if (now - this.lastFlow >= FLOW_EVERY_MS) this.sendFlow();
      if (now - this.lastSamples >= SAMPLES_EVERY_MS) {
        this.lastSamples = now;
        this.sample({ ...this.sampler, seed: trainer.position.step }, true);
      }
      await new Promise((resolve) => setTimeout(resolve, 0)); // let messages in
    }
  }

  /** The budget of the CLI's recipe: its epochs, or early stopping (patience epochs without a better validation loss). */
  private finished(trainer: Trainer): boolean {
    const { epochs } = trainer.options;
    return trainer.stoppedEarly || (epochs !== undefined && trainer.position.epoch >= epochs);
  }

  /** Training is over: back to the best epoch's weights, as `bptt train` leaves its model file. */
  private finish(trainer: Trainer): void {
    this.stop();
    const p = trainer.position;
    const reason = trainer.stoppedEarly
      ? `stopped early after epoch ${p.epoch}: ${trainer.options.patience} epochs without a better validation loss`
      : `finished its ${trainer.options.epochs} epochs`;
    if (this.best) this.model.params.set(this.best.params);
    this.post({ type: 'finished', reason, best: this.bestEpoch() });
    this.sendFlow();
  }

  private bestEpoch(): BestEpoch | null {
    if (!this.best) return null;
    const { epoch, step, validationLoss, trainLoss } = this.best;
    return { epoch, step, validationLoss, trainLoss };
  }

  private flushProgress(): void {
    this.lastProgress = performance.now();
    const events = this.pending;
    if (events.length === 0) return;
    let tokens = 0;
    let lossSum = 0;
    let seconds = 0;
    let clipped = 0;
    for (const e of events) {
      tokens += e.tokens;
      lossSum += e.loss * e.tokens;
      seconds += e.tokens / e.tokensPerSecond;
      clipped += e.clippedFraction;
    }
    const last = events[events.length - 1].position;
    const point: ProgressPoint = {
      step: last.step,
      epoch: last.epoch + last.batchInEpoch / this.trainer!.batchesPerEpoch,
      loss: lossSum / tokens,
      tokensPerSecond: tokens / seconds,
      gradientNorm: this.pendingGradientNorm / events.length,
      clippedFraction: clipped / events.length,
    };
    this.pending = [];
    this.pendingGradientNorm = 0;
    this.post({ type: 'progress', point });
  }

  setFlowText(text: string): void {
    this.flowText = text;
    this.sendFlow();
  }

  /** The Trick 2 table for the chosen line, with the current weights. */
  sendFlow(): void {
    this.lastFlow = performance.now();
    // As in training (mode lines): fed '\n' + line, predicting line + '\n'.
    const { input, target, inputs, targets } = this.lineSequence(this.flowText, FLOW_MAX_STEPS);
    const flow = gradientFlow(this.model, input, target);
    this.post({
      type: 'flow',
      flow: {
        ...flow,
        inputs,
        targets,
        atStep: this.trainer?.position.step ?? 0,
        model: describeSettings(this.settings) + (this.origin === 'new' ? '' : `, from ${this.origin}`),
        cell: this.settings.cell,
      },
    });
  }

  sample(request: SampleRequest, streamed = false): void {
    if (!streamed) this.sampler = request; // streamed samples during training use the sampler's last settings
    const options = { prime: request.prime, temperature: request.temperature, topK: request.topK > 0 ? request.topK : undefined };
    let samples: string[];
    if (this.data?.mode === 'stream') {
      // Running text: passages, not lines (as `bptt sample` writes for a stream model); fewer while training.
      const count = streamed ? Math.min(3, request.count) : request.count;
      samples = generate(this.model, this.tokenizer, {
        ...options,
        count,
        seed: request.seed,
        length: PASSAGE_LENGTH,
        documents: this.recipe.documents,
      }).samples;
    } else {
      const exclude = request.novel && this.data ? this.data.lines : undefined;
      samples = generate(this.model, this.tokenizer, { ...options, count: request.count, seed: request.seed, exclude }).samples;
    }
    this.post({ type: 'samples', samples, streamed, atStep: this.trainer?.position.step ?? 0 });
  }

  explain(request: SampleRequest): void {
    const exclude = request.novel && this.data?.mode === 'lines' ? this.data.lines : undefined;
    const explained = explainSample(this.model, this.tokenizer, {
      prime: request.prime,
      temperature: request.temperature,
      topK: request.topK > 0 ? request.topK : undefined,
      seed: request.seed,
      alternatives: 5,
      exclude,
    });
    const novel = !this.data?.lines.has(this.tokenizer.normalize(explained.prime + explained.text));
    this.post({ type: 'explanation', explained, novel });
  }

  /**
   * The derivation view's numbers: one line walked through the seed's equations (derive, the
   * training functions step by step), with forward() + backward() on the same line beside it for
   * the view's check that Σ (5.2) is the gradient training uses.
   */
  derive(text: string): void {
    const { cell, layers } = this.model.config;
    const model = `${describeSettings(this.settings)}${this.origin === 'new' ? '' : `, from ${this.origin}`}`;
    const atStep = this.trainer?.position.step ?? 0;
    if (cell === 'gru' || layers !== 1) {
      this.post({
        type: 'derivation',
        derivation: {
          unavailable: `The walk follows a one-layer RNN (the seed's equations) or LSTM (docs/derivations/lstm.md); the current model is ${model}. Choose one of those with 1 layer (the GRU's equations: docs/derivations/gru.md).`,
          model,
          atStep,
        },
      });
      return;
    }
    const { input, target, inputs, targets } = this.lineSequence(text, DERIVE_MAX_STEPS);
    const derivation = derive(this.model, input, target);
    const lossSum = this.model.forward(batchFromRows([input], [target]));
    this.model.backward({ scale: 1, clip: Infinity });
    this.post({
      type: 'derivation',
      derivation: {
        model,
        atStep,
        cell,
        activation: this.model.config.activation,
        inputs,
        targets,
        vocabulary: [...this.tokenizer.tokens],
        derivation,
        backward: { loss: lossSum, Wh: Float64Array.from(this.model.gradients.Wh) },
      },
    });
  }

  /** A line as training reads it in mode lines: fed '\n' + line, predicting line + '\n' (unknown characters dropped). */
  private lineSequence(text: string, maxSteps: number): { input: number[]; target: number[]; inputs: string[]; targets: string[] } {
    const line = Array.from(this.tokenizer.normalize(text.split('\n')[0] ?? ''))
      .filter((char) => this.tokenizer.unknownCharacter(char) === undefined)
      .slice(0, maxSteps - 1)
      .join('');
    const ids = this.tokenizer.encode(line);
    const end = this.tokenizer.endId;
    const input = [end, ...ids];
    const target = [...ids, end];
    const token = (id: number) => this.tokenizer.tokens[id];
    return { input, target, inputs: input.map(token), targets: target.map(token) };
  }

  /** The model file `bptt train --out` would hold now: the best validation epoch's weights when there is one. */
  save(): void {
    const current = this.best ? this.model.params.slice() : null;
    if (this.best) this.model.params.set(this.best.params);
    const bytes = encodeModelFile(this.model, this.tokenizer, { data: this.record, stream: streamReadingOf(this.recipe) }); // a stream model records how it read its text
    if (current) this.model.params.set(current);
    this.post({ type: 'model-file', bytes, name: `${this.settings.cell}-${this.settings.hidden}.safetensors`, best: this.bestEpoch() }, [bytes.buffer]);
  }
}

/**
 * The page's settings as a library recipe: the defaults `bptt train` starts from for this kind of
 * text (DEFAULT_RECIPE for a list of lines, TEXT_RECIPE for running text) with the page's controls,
 * which the page also started from those defaults. Epochs 0 and patience 0 mean "until paused" and
 * "never stop early".
 */
export function recipeOf(settings: TrainingSettings, base: Recipe): Recipe {
  return {
    ...base,
    cell: settings.cell,
    activation: settings.activation,
    hidden: settings.hidden,
    layers: settings.layers,
    embed: settings.embed,
    dropout: settings.dropout,
    optimizer: settings.optimizer,
    learningRate: settings.learningRate,
    batchSize: settings.batchSize,
    clip: settings.clip > 0 ? settings.clip : Infinity,
    seed: settings.seed,
    epochs: settings.epochs > 0 ? settings.epochs : undefined,
    patience: settings.patience > 0 ? settings.patience : undefined,
  };
}

/**
 * The text as training data, in the mode `bptt train` picks (autoMode), and the run's
 * recipe: a list of lines, or running text as streams (evaluated every so many steps when an epoch
 * is long, as the CLI does). `file`: a loaded model's settings that the recipe must keep.
 */
function dataOf(text: string, settings: TrainingSettings, source: string, tokenizer?: Tokenizer, file: Partial<Recipe> = {}): { data: Data; recipe: Recipe } {
  const { mode, reason, recipe: base } = autoMode(text);
  const recipe: Recipe = { ...recipeOf(settings, base), ...file };
  if (mode === 'stream') {
    if (tokenizer && !(tokenizer instanceof CharTokenizer))
      throw new BpttError(
        `${source} is running text, which the page trains on characters; this model reads words`,
        'load a character model, or train a new one',
      );
    const streams = prepareStreams(text, recipe, source, tokenizer as CharTokenizer | undefined);
    if (streams.validation) recipe.evaluateEvery = streamEvaluateEvery(streams.train.windows, recipe.batchSize * recipe.seqLength, streams.validation.tokens);
    return {
      recipe,
      data: { mode, modeReason: reason, tokenizer: streams.tokenizer, train: streams.train, validation: streams.validation ?? [], lines: new Set() },
    };
  }
  const data = prepareData(text, recipe, source, tokenizer);
  return {
    recipe,
    data: {
      mode,
      modeReason: reason,
      tokenizer: data.tokenizer,
      train: data.train,
      validation: data.validation,
      lines: new Set(data.lines.map((line) => data.tokenizer.normalize(line))),
    },
  };
}

function sizeOf(data: readonly Sequence[] | TokenStreams | undefined): number {
  if (!data) return 0;
  return 'length' in data ? data.length : data.windows;
}

/** The training-data record of a page's text: the corpus's name (or the file's), its lines and its fingerprint. */
function dataRecord(text: string, source: string): TrainingDataRecord {
  return { source, lines: text.split('\n').filter((line) => line !== '').length, fingerprint: fingerprint(text) };
}
