/**
 * One playground session inside the worker: the data, the model, the trainer
 * and the loop that trains in short slices so messages (pause, sample, save)
 * get answered between them. Everything here is a call into the library.
 */
import {
  BpttError,
  type Tokenizer,
  DEFAULT_RECIPE,
  Trainer,
  decodeModelFile,
  encodeModelFile,
  explainSample,
  generate,
  gradientFlow,
  loadKernels,
  modelConfigOf,
  prepareData,
  trainOptionsOf,
  RnnModel,
  type Kernels,
  type PreparedData,
  type Recipe,
  type StepEvent,
} from '../../src/index.js';
import { DEFAULT_SETTINGS, describeSettings, type FromWorker, type ModelSummary, type ProgressPoint, type SampleRequest, type TrainingSettings } from './protocol.js';

/** The longest sequence the gradient-flow map shows (it runs T(T−1)/2 rows). */
export const FLOW_MAX_STEPS = 24;
const SLICE_MS = 40; // train this long, then let messages in
const PROGRESS_EVERY_MS = 150;
const FLOW_EVERY_MS = 800;
const SAMPLES_EVERY_MS = 2000;

export class Session {
  private kernels!: Kernels;
  private model!: RnnModel;
  private tokenizer!: Tokenizer;
  private data: PreparedData | null = null;
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
    const recipe = recipeOf(settings);
    const data = prepareData(text, recipe, source);
    this.data = data;
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
    this.settings = { ...(this.settings ?? DEFAULT_SETTINGS), cell: c.cell, activation: c.activation, hidden: c.hidden, layers: c.layers, embed: c.embed };
    const recipe = { ...recipeOf(this.settings), dtype: c.dtype, init: c.init, lowercase: saved.tokenizer.lowercase };
    let cannotTrain = '';
    try {
      this.data = prepareData(text, recipe, source, saved.tokenizer);
    } catch (error) {
      if (!(error instanceof BpttError)) throw error;
      this.data = null;
      cannotTrain = `${error.message}; sampling and the views still work`;
    }
    this.startTrainer(recipe, name, cannotTrain);
    this.setFlowText(flowText);
  }

  private startTrainer(recipe: Recipe, origin: string, cannotTrain: string): void {
    this.generation++;
    this.origin = origin;
    this.trainer = null;
    this.pending = [];
    if (this.data) {
      const trainer = new Trainer(this.model, this.data.train, this.data.validation, { ...trainOptionsOf(recipe), epochs: undefined });
      trainer.on('step', (event) => {
        this.pending.push(event);
        this.pendingGradientNorm += event.gradientNorm;
      });
      trainer.on('epoch', (event) => this.post({ type: 'epoch', step: event.position.step, epoch: event.position.epoch, trainLoss: event.trainLoss, validationLoss: event.validationLoss }));
      this.trainer = trainer;
    }
    const summary: ModelSummary = {
      settings: this.settings,
      parameters: this.model.params.length,
      vocabSize: this.tokenizer.size,
      backend: this.model.kernels.name,
      trainSequences: this.data?.train.length ?? 0,
      validationSequences: this.data?.validation.length ?? 0,
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
        while (performance.now() < sliceEnd) trainer.trainStep();
      } catch (error) {
        this.stop();
        this.post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
        return;
      }
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
    const line = Array.from(this.tokenizer.normalize(this.flowText.split('\n')[0] ?? ''))
      .filter((char) => this.tokenizer.unknownCharacter(char) === undefined)
      .slice(0, FLOW_MAX_STEPS - 1)
      .join('');
    const ids = this.tokenizer.encode(line);
    const end = this.tokenizer.endId;
    // As in training (mode lines): fed '\n' + line, predicting line + '\n'.
    const input = [end, ...ids];
    const target = [...ids, end];
    const flow = gradientFlow(this.model, input, target);
    const text = (id: number) => this.tokenizer.tokens[id];
    this.post({
      type: 'flow',
      flow: { ...flow, inputs: input.map(text), targets: target.map(text), atStep: this.trainer?.position.step ?? 0, model: describeSettings(this.settings) + (this.origin === 'new' ? '' : `, from ${this.origin}`), cell: this.settings.cell },
    });
  }

  sample(request: SampleRequest, streamed = false): void {
    if (!streamed) this.sampler = request; // streamed samples during training use the sampler's last settings
    const exclude = request.novel && this.data ? new Set(this.data.lines.map((line) => this.tokenizer.normalize(line))) : undefined;
    const { samples } = generate(this.model, this.tokenizer, { prime: request.prime, count: request.count, temperature: request.temperature, topK: request.topK > 0 ? request.topK : undefined, seed: request.seed, exclude });
    this.post({ type: 'samples', samples, streamed, atStep: this.trainer?.position.step ?? 0 });
  }

  explain(request: SampleRequest): void {
    const explained = explainSample(this.model, this.tokenizer, { prime: request.prime, temperature: request.temperature, topK: request.topK > 0 ? request.topK : undefined, seed: request.seed, alternatives: 5 });
    this.post({ type: 'explanation', explained });
  }

  save(): void {
    const bytes = encodeModelFile(this.model, this.tokenizer);
    this.post({ type: 'model-file', bytes, name: `${this.settings.cell}-${this.settings.hidden}.safetensors` }, [bytes.buffer]);
  }
}

/** The page's settings as a library recipe (lines mode, 10% held out, as `bptt train`). */
export function recipeOf(settings: TrainingSettings): Recipe {
  return {
    ...DEFAULT_RECIPE,
    cell: settings.cell,
    activation: settings.activation,
    hidden: settings.hidden,
    layers: settings.layers,
    embed: settings.embed,
    optimizer: settings.optimizer,
    learningRate: settings.learningRate,
    batchSize: settings.batchSize,
    clip: settings.clip > 0 ? settings.clip : Infinity,
    seed: settings.seed,
    // The page has no dropout control and trains until paused: none of the CLI's dropout or early stopping.
    dropout: 0,
    epochs: undefined,
    patience: undefined,
  };
}
