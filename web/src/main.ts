/**
 * The playground page: wires the panels to the training worker. It holds no
 * model; every number it shows comes from the worker's library calls.
 */
import {
  CharTokenizer,
  DEFAULT_LEARNING_RATES,
  OPTIMIZER_LABELS,
  OPTIMIZERS,
  textLines,
  type Activation,
  type Cell,
  type OptimizerName,
} from '../../src/index.js';
import { CORPORA } from './corpora.js';
import { autoMode } from './mode.js';
import {
  DEFAULT_SETTINGS,
  describeSettings,
  settingsOf,
  type BestEpoch,
  type DerivationMessage,
  type FlowMessage,
  type FromWorker,
  type ToWorker,
  type TrainingSettings,
} from './protocol.js';
import { Charts } from './views/charts.js';
import { DerivationView } from './views/derivation.js';
import { FlowView } from './views/flow.js';
import { formatNumber } from './views/heatmap.js';
import { InsideView } from './views/inside.js';
import { SamplesView } from './views/samples.js';

const $ = <T extends HTMLElement = HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (message: ToWorker, transfer: Transferable[] = []) => worker.postMessage(message, transfer);

const state = {
  text: CORPORA[0].text,
  source: CORPORA[0].name,
  running: false,
  finished: false,
  step: 0,
  epoch: 0,
  loss: NaN,
  validationLoss: NaN,
  tokensPerSecond: 0,
  backend: '',
};

const charts = new Charts($('#charts'));
// Test and debugging hooks: what the page last showed, for the end-to-end test.
const hooks = {
  samples: [] as string[],
  streamed: [] as string[],
  flowMax: 0,
  flow: null as FlowMessage | null,
  derivation: null as DerivationMessage | null,
  derivations: 0,
  losses: [] as number[],
  epochs: [] as { epoch: number; trainLoss: number; validationLoss: number }[],
  best: null as BestEpoch | null,
  finished: '',
  overfittingCues: 0,
  savedBest: null as BestEpoch | null,
  errors: [] as string[],
  modelFile: null as Uint8Array | null,
  ready: 0,
  charts,
};
(window as unknown as { playground: typeof hooks }).playground = hooks;

const flow = new FlowView($('#flow'), (text) => send({ type: 'flow-text', text }));
const inside = new InsideView($('#inside'));
const derivation = new DerivationView(
  $('#derivation'),
  (text) => send({ type: 'derive', text }),
  () => {
    $<HTMLSelectElement>('#cell').value = 'rnn-sigmoid';
    $<HTMLInputElement>('#layers').valueAsNumber = 1;
    configure();
  },
);
const samples = new SamplesView(
  $('#samples'),
  (request) => send({ type: 'sample', request }),
  (request) => send({ type: 'explain', request }),
);

// --- Data -------------------------------------------------------------------
const corpusSelect = $<HTMLSelectElement>('#corpus');
corpusSelect.append(...CORPORA.map((c) => new Option(c.label, c.name)));
corpusSelect.addEventListener('change', () => {
  const corpus = CORPORA.find((c) => c.name === corpusSelect.value)!;
  useText(corpus.text, corpus.name);
});
$('#use-paste').addEventListener('click', () => useText($<HTMLTextAreaElement>('#paste').value, 'the pasted text'));
$<HTMLInputElement>('#data-file').addEventListener('change', async (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file) useText(await file.text(), file.name);
});
const drop = $('#drop');
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', async (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  const file = event.dataTransfer?.files[0];
  if (file) useText(await file.text(), file.name);
});

/** The kind of text the controls' defaults are for. */
let controlsMode: 'lines' | 'stream' = 'lines';

function useText(text: string, source: string): void {
  const lines = textLines(text);
  if (lines.length === 0) return showError(`${source} has no lines of text; paste or choose a text with one name or sentence per line`);
  state.text = text;
  state.source = source;
  const vocabulary = CharTokenizer.fromText(text).size;
  $('#data-summary').textContent = `${source}: ${lines.length.toLocaleString('en-US')} lines, vocabulary ${vocabulary} characters (line end included).`;
  $<HTMLInputElement>('#flow-text').value = lines[0].slice(0, 23);
  $<HTMLInputElement>('#derive-text').value = lines[0].slice(0, 9);
  // As `bptt train` without flags: the defaults for this kind of text, a list of lines or running text.
  const { mode, recipe } = autoMode(text);
  if (mode !== controlsMode) {
    controlsMode = mode;
    showAllSettings(settingsOf(recipe));
  }
  configure();
}

// --- Model and training -------------------------------------------------------
const optimizerSelect = $<HTMLSelectElement>('#optimizer');
optimizerSelect.append(...OPTIMIZERS.map((name) => new Option(OPTIMIZER_LABELS[name], name)));
// Each optimizer has its own sensible learning rate (docs/optimizers.md): switching sets it.
optimizerSelect.addEventListener('change', () => {
  $<HTMLInputElement>('#lr').value = String(DEFAULT_LEARNING_RATES[optimizerSelect.value as OptimizerName]);
});

function settings(): TrainingSettings {
  const number = (id: string, fallback: number) => {
    const value = $<HTMLInputElement>(`#${id}`).valueAsNumber;
    return Number.isFinite(value) ? value : fallback;
  };
  const [cell, activation] = $<HTMLSelectElement>('#cell').value.split('-') as [Cell, Activation | undefined];
  return {
    cell,
    activation: activation ?? DEFAULT_SETTINGS.activation, // unused by the LSTM and the GRU
    hidden: Math.round(number('hidden', DEFAULT_SETTINGS.hidden)),
    layers: Math.round(number('layers', 1)),
    embed: Math.round(number('embed', DEFAULT_SETTINGS.embed)),
    optimizer: optimizerSelect.value as OptimizerName,
    learningRate: number('lr', DEFAULT_SETTINGS.learningRate),
    batchSize: Math.round(number('batch', DEFAULT_SETTINGS.batchSize)),
    clip: number('clip', DEFAULT_SETTINGS.clip),
    seed: Math.round(number('seed', DEFAULT_SETTINGS.seed)),
    dropout: Math.min(0.95, Math.max(0, number('dropout', DEFAULT_SETTINGS.dropout))),
    epochs: Math.max(0, Math.round(number('epochs', DEFAULT_SETTINGS.epochs))),
    patience: Math.max(0, Math.round(number('patience', DEFAULT_SETTINGS.patience))),
  };
}

function showSettings(s: TrainingSettings): void {
  $<HTMLSelectElement>('#cell').value = s.cell === 'rnn' ? (s.activation === 'sigmoid' ? 'rnn-sigmoid' : 'rnn-tanh') : s.cell;
  $<HTMLInputElement>('#hidden').valueAsNumber = s.hidden;
  $<HTMLInputElement>('#layers').valueAsNumber = s.layers;
  $<HTMLInputElement>('#embed').valueAsNumber = s.embed;
  $<HTMLInputElement>('#dropout').valueAsNumber = s.dropout;
}

/** Every control, from settings (at start: the CLI's defaults). */
function showAllSettings(s: TrainingSettings): void {
  showSettings(s);
  optimizerSelect.value = s.optimizer;
  $<HTMLInputElement>('#lr').valueAsNumber = s.learningRate;
  $<HTMLInputElement>('#batch').valueAsNumber = s.batchSize;
  $<HTMLInputElement>('#clip').valueAsNumber = s.clip;
  $<HTMLInputElement>('#seed').valueAsNumber = s.seed;
  $<HTMLInputElement>('#epochs').valueAsNumber = s.epochs;
  $<HTMLInputElement>('#patience').valueAsNumber = s.patience;
}

/** New weights for the current text and settings (training pauses). */
function configure(): void {
  state.step = 0;
  charts.clear();
  $<HTMLButtonElement>('#start').disabled = true;
  send({ type: 'configure', text: state.text, source: state.source, settings: settings(), flowText: $<HTMLInputElement>('#flow-text').value });
}

$('#settings').addEventListener('change', configure);
$('#settings').addEventListener('submit', (event) => event.preventDefault());
$('#reset').addEventListener('click', configure);
$('#start').addEventListener('click', () => send({ type: state.running ? 'pause' : 'start' }));
$('#save').addEventListener('click', () => send({ type: 'save' }));
$<HTMLInputElement>('#model-file').addEventListener('change', async (event) => {
  const input = event.target as HTMLInputElement;
  const file = input.files?.[0];
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  input.value = ''; // the same file can be loaded again
  charts.clear();
  send({ type: 'load', bytes, name: file.name, text: state.text, source: state.source, flowText: $<HTMLInputElement>('#flow-text').value }, [bytes.buffer]);
});

function download(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// --- Status and messages from the worker ----------------------------------------
function showStatus(): void {
  const parts = [state.running ? 'Training' : state.finished ? 'Finished' : 'Paused', `step ${state.step}`, `epoch ${state.epoch.toFixed(2)}`];
  if (Number.isFinite(state.loss)) parts.push(`loss ${state.loss.toFixed(3)}`);
  if (Number.isFinite(state.validationLoss)) parts.push(`validation ${state.validationLoss.toFixed(3)}`);
  if (state.tokensPerSecond > 0) parts.push(`${Math.round(state.tokensPerSecond).toLocaleString('en-US')} tokens/s`);
  parts.push(`${state.backend} kernels${self.crossOriginIsolated ? '' : ' (page not cross-origin isolated: no WebAssembly shared memory)'}`);
  $('#status').textContent = parts.join(' · ');
}

/** The overfitting cue and the end of training, in words (empty: hidden). */
function showNote(text: string, kind: 'warning' | 'done' = 'warning'): void {
  const note = $('#fit-note');
  if (text && kind === 'warning') hooks.overfittingCues++;
  note.hidden = text === '';
  note.textContent = text;
  note.className = `note ${kind}`;
}

/**
 * Overfitting: the validation loss has risen above its best while the training loss went on
 * falling, so the network learns the training lines themselves rather than what they share.
 */
function overfittingCue(epoch: number, trainLoss: number, validationLoss: number, best: BestEpoch | null): string {
  const since = best ? epoch - best.epoch : 0;
  // Two epochs at least: one worse epoch can be noise.
  if (!best || since < 2 || !(validationLoss > best.validationLoss) || !(trainLoss < best.trainLoss)) return '';
  return (
    `Overfitting: the validation loss (${validationLoss.toFixed(3)}) has not beaten its best, ${best.validationLoss.toFixed(3)} at epoch ${best.epoch}, for ${since} epoch${since === 1 ? '' : 's'}, ` +
    `while the training loss fell to ${trainLoss.toFixed(3)}: the network is starting to memorise the training text instead of learning what it has in common. The best epoch's weights are kept (Save writes them)` +
    (settings().patience > 0
      ? `, and training stops after ${settings().patience} epochs without a better one.`
      : '; set a patience to stop then, or add dropout.')
  );
}

function showError(message: string): void {
  hooks.errors.push(message);
  $('#status').textContent = `Error: ${message}`;
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const message = event.data;
  switch (message.type) {
    case 'ready': {
      const s = message.summary;
      state.backend = s.backend;
      state.running = false;
      state.finished = false;
      // A new model: what the last one drew and explained is gone.
      samples.clear();
      inside.clear();
      showNote('');
      hooks.best = null;
      hooks.finished = '';
      hooks.epochs = [];
      $('#data-summary').dataset.mode = $('#samples').dataset.mode = s.mode;
      $('#mode-note')?.remove();
      if (s.modeReason)
        $('#data-summary').append(
          Object.assign(document.createElement('span'), {
            id: 'mode-note',
            textContent: ` Trains in mode ${s.mode}: ${s.modeReason}.${s.mode === 'stream' ? " The controls start from bptt's recipe for running text." : ''}`,
          }),
        );
      state.epoch = 0;
      state.loss = state.validationLoss = NaN;
      state.tokensPerSecond = 0;
      showSettings(s.settings);
      $('#model-summary').textContent =
        `${s.origin === 'new' ? 'New' : `Loaded ${s.origin}:`} ${describeSettings(s.settings)}; ${s.parameters.toLocaleString('en-US')} parameters, vocabulary ${s.vocabSize}; ` +
        (s.cannotTrain
          ? `training off: ${s.cannotTrain}`
          : s.mode === 'stream'
            ? `${s.trainSequences.toLocaleString('en-US')} windows of ${s.windowLength} characters per epoch, ${s.validationSequences.toLocaleString('en-US')} held out for validation.`
            : `${s.trainSequences.toLocaleString('en-US')} training and ${s.validationSequences} validation lines.`) +
        (Number.isFinite(s.validationLoss) ? ` Validation loss on this text's held-out part: ${s.validationLoss.toFixed(4)}.` : '');
      $('#model-summary').dataset.validationLoss = String(s.validationLoss);
      $<HTMLButtonElement>('#start').disabled = s.cannotTrain !== '';
      $<HTMLButtonElement>('#start').textContent = 'Start';
      $<HTMLButtonElement>('#save').disabled = false;
      hooks.ready++;
      showStatus();
      send({ type: 'derive', text: $<HTMLInputElement>('#derive-text').value });
      return;
    }
    case 'running':
      state.running = message.running;
      $<HTMLButtonElement>('#start').textContent = message.running ? 'Pause' : state.step > 0 ? 'Resume' : 'Start';
      showStatus();
      if (!message.running) send({ type: 'derive', text: $<HTMLInputElement>('#derive-text').value }); // the walk on the weights training stopped at
      return;
    case 'finished': {
      state.finished = true;
      hooks.finished = message.reason;
      const best = message.best;
      $<HTMLButtonElement>('#start').disabled = true;
      $<HTMLButtonElement>('#start').textContent = 'Finished';
      showNote(
        `Training ${message.reason}. ` +
          (best
            ? `Kept epoch ${best.epoch} (validation ${best.validationLoss.toFixed(3)}, training ${best.trainLoss.toFixed(3)}), the best: the model, Save, the samples and the views now use its weights, as bptt train's model file does. `
            : '') +
          'Change a setting or Reset to train again.',
        'done',
      );
      showStatus();
      send({ type: 'derive', text: $<HTMLInputElement>('#derive-text').value });
      return;
    }
    case 'progress':
      state.step = message.point.step;
      state.epoch = message.point.epoch;
      state.loss = message.point.loss;
      state.tokensPerSecond = message.point.tokensPerSecond;
      hooks.losses.push(message.point.loss);
      charts.add(message.point);
      showStatus();
      return;
    case 'epoch':
      state.validationLoss = message.validationLoss;
      hooks.epochs.push({ epoch: message.epoch, trainLoss: message.trainLoss, validationLoss: message.validationLoss });
      hooks.best = message.best;
      charts.addValidation(message.step, message.validationLoss);
      if (message.best) charts.markBest(message.best.step, message.best.validationLoss);
      showNote(overfittingCue(message.epoch, message.trainLoss, message.validationLoss, message.best));
      showStatus();
      return;
    case 'samples':
      if (message.streamed) hooks.streamed = message.samples;
      else hooks.samples = message.samples;
      samples.show(message.samples, message.streamed, message.atStep);
      return;
    case 'explanation':
      inside.show(message.explained, message.novel);
      return;
    case 'flow':
      flow.show(message.flow);
      hooks.flow = message.flow;
      hooks.flowMax = flow.maxNorm;
      return;
    case 'derivation':
      derivation.show(message.derivation);
      hooks.derivation = message.derivation;
      hooks.derivations++;
      return;
    case 'model-file':
      hooks.modelFile = message.bytes;
      hooks.savedBest = message.best;
      download(message.bytes, message.name);
      return;
    case 'error':
      showError(message.message);
      return;
  }
};
worker.onerror = (event) => showError(`the training worker failed: ${event.message}`);

showAllSettings(DEFAULT_SETTINGS);
useText(state.text, state.source);
$('#status').textContent = `Preparing ${formatNumber(textLines(state.text).length)} lines…`;
