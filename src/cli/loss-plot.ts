/**
 * `bptt train --plot FILE.svg`: the loss curves of a run as an SVG chart.
 * Training loss per step (raw, and smoothed), training loss per epoch and
 * validation loss per epoch, against the optimizer step. d3-scale gives the
 * scales and their ticks, d3-shape the paths; the SVG around them is a short
 * template. Pure (no node:), so a browser could draw the same chart.
 *
 * d3-scale and d3-shape are optional peer dependencies (a library user who
 * never plots does not install them): loadChartLibraries() imports them once,
 * before a run, and says how to install them if they are missing.
 */
import { BpttError } from '../core/errors.js';

interface ChartLibraries {
  scaleLinear: (typeof import('d3-scale'))['scaleLinear'];
  line: (typeof import('d3-shape'))['line'];
}
let libraries: ChartLibraries | undefined;

/** Imports d3-scale and d3-shape for lossChartSvg; a BpttError saying how to install them if they are missing. */
export async function loadChartLibraries(): Promise<void> {
  if (libraries) return;
  try {
    const [{ scaleLinear }, { line }] = await Promise.all([import('d3-scale'), import('d3-shape')]);
    libraries = { scaleLinear, line };
  } catch {
    throw new BpttError(
      '--plot draws its chart with the npm packages d3-scale and d3-shape, which are not installed',
      'run npm install d3-scale d3-shape to use --plot',
    );
  }
}

/** Per-step series are thinned to at most this many points (every k-th step) to keep the file small. */
export const MAX_STEP_POINTS = 1000;
/** Smoothing of the per-step loss: an exponential moving average over about 1 / (1 − β) = 20 steps, debiased. */
export const SMOOTHING = 0.95;

export interface LossPoint {
  step: number;
  loss: number;
}

export interface ChartOptions {
  title: string;
  /** The loss unit: 'char' or 'token'. */
  unit: string;
}

/** The losses of a run, collected from the trainer's events. */
export class LossHistory {
  readonly steps: LossPoint[] = [];
  readonly smoothed: LossPoint[] = [];
  readonly trainEpochs: LossPoint[] = [];
  readonly validationEpochs: LossPoint[] = [];
  private average = 0;

  recordStep(step: number, loss: number): void {
    if (!Number.isFinite(loss)) return;
    this.steps.push({ step, loss });
    this.average = SMOOTHING * this.average + (1 - SMOOTHING) * loss;
    // Dividing by 1 − β^n removes the average's pull towards its start at 0.
    this.smoothed.push({ step, loss: this.average / (1 - SMOOTHING ** this.steps.length) });
  }

  recordEpoch(step: number, trainLoss: number, validationLoss: number): void {
    if (Number.isFinite(trainLoss)) this.trainEpochs.push({ step, loss: trainLoss });
    if (Number.isFinite(validationLoss)) this.validationEpochs.push({ step, loss: validationLoss });
  }
}

/** Every k-th point (and the last) so that at most `max` remain. */
export function thin(points: readonly LossPoint[], max = MAX_STEP_POINTS): LossPoint[] {
  if (points.length <= max) return [...points];
  const every = Math.ceil(points.length / max);
  const kept = points.filter((_, i) => i % every === 0);
  if (kept[kept.length - 1] !== points[points.length - 1]) kept[kept.length - 1] = points[points.length - 1];
  return kept;
}

const WIDTH = 720;
const HEIGHT = 420;
const MARGIN = { top: 44, right: 24, bottom: 52, left: 64 };

interface Series {
  id: string;
  label: string;
  points: LossPoint[];
  color: string;
  width: number;
  /** Epoch series mark each point with a dot. */
  dots: boolean;
}

/** The chart as SVG text; loadChartLibraries() must have been awaited first. */
export function lossChartSvg(history: LossHistory, options: ChartOptions): string {
  if (!libraries) throw new Error('lossChartSvg needs await loadChartLibraries() first');
  const { scaleLinear, line } = libraries;
  const series: Series[] = [
    { id: 'train-step', label: 'training loss, per step', points: thin(history.steps), color: '#c6dbef', width: 1, dots: false },
    { id: 'train-smoothed', label: `training loss, smoothed (β = ${SMOOTHING})`, points: thin(history.smoothed), color: '#3182bd', width: 1.5, dots: false },
    { id: 'train-epoch', label: 'training loss, per epoch', points: history.trainEpochs, color: '#08519c', width: 2, dots: true },
    { id: 'validation-epoch', label: 'validation loss, per epoch', points: history.validationEpochs, color: '#d62728', width: 2, dots: true },
  ];
  const all = series.flatMap((s) => s.points);
  const lastStep = Math.max(1, ...all.map((p) => p.step));
  const x = scaleLinear()
    .domain([0, lastStep])
    .range([MARGIN.left, WIDTH - MARGIN.right])
    .nice();
  const y = scaleLinear()
    .domain(lossRange(history))
    .range([HEIGHT - MARGIN.bottom, MARGIN.top])
    .nice();
  const path = line<LossPoint>()
    .x((p) => x(p.step))
    .y((p) => y(p.loss));
  const round = (value: number) => Math.round(value * 10) / 10;

  const xTicks = x
    .ticks(8)
    .map(
      (t) =>
        `<g transform="translate(${round(x(t))},${HEIGHT - MARGIN.bottom})"><line y2="5" stroke="#333"/><text y="18" text-anchor="middle">${x.tickFormat(8)(t)}</text></g>`,
    );
  const yTicks = y
    .ticks(6)
    .map(
      (t) =>
        `<g transform="translate(${MARGIN.left},${round(y(t))})"><line x2="${WIDTH - MARGIN.left - MARGIN.right}" stroke="#eee"/><line x2="-5" stroke="#333"/><text x="-8" dy="0.32em" text-anchor="end">${y.tickFormat(6)(t)}</text></g>`,
    );
  const curves = series.map((s) => {
    const dots = s.dots ? s.points.map((p) => `<circle cx="${round(x(p.step))}" cy="${round(y(p.loss))}" r="3" fill="${s.color}"/>`).join('') : '';
    const d = s.points.length > 0 ? path.digits(1)(s.points) : '';
    return `<g class="series" id="${s.id}" clip-path="url(#plot-area)"><path d="${d ?? ''}" fill="none" stroke="${s.color}" stroke-width="${s.width}"/>${dots}</g>`;
  });
  const legend = series.map(
    (s, i) =>
      `<g transform="translate(${WIDTH - MARGIN.right - 230},${MARGIN.top + 8 + i * 18})"><line x2="22" stroke="${s.color}" stroke-width="${Math.max(2, s.width)}"/><text x="28" dy="0.32em">${escapeXml(s.label)}</text></g>`,
  );
  const bottom = HEIGHT - MARGIN.bottom;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">
<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>
<clipPath id="plot-area"><rect x="${MARGIN.left}" y="${MARGIN.top - 4}" width="${WIDTH - MARGIN.left - MARGIN.right}" height="${bottom - MARGIN.top + 4}"/></clipPath>
<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>
${yTicks.join('\n')}
${xTicks.join('\n')}
<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${bottom}" y2="${bottom}" stroke="#333"/>
<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${bottom}" stroke="#333"/>
<text x="${(MARGIN.left + WIDTH - MARGIN.right) / 2}" y="${HEIGHT - 12}" text-anchor="middle">optimizer step</text>
<text transform="translate(16,${(MARGIN.top + bottom) / 2}) rotate(-90)" text-anchor="middle">loss (nats/${escapeXml(options.unit)})</text>
${curves.join('\n')}
<g font-size="11">${legend.join('')}</g>
</svg>
`;
}

/**
 * The loss axis spans every epoch loss and all but the highest 5% of step
 * losses: the first steps of a run lose far more than the rest, and would
 * flatten the curves that matter (they are cut off at the top).
 */
function lossRange(history: LossHistory): [number, number] {
  const steps = history.steps.map((p) => p.loss).sort((a, b) => a - b);
  const kept = [
    ...steps.slice(0, Math.max(1, Math.ceil(steps.length * 0.95))),
    ...history.trainEpochs.map((p) => p.loss),
    ...history.validationEpochs.map((p) => p.loss),
  ];
  return kept.length > 0 ? [Math.min(...kept), Math.max(...kept)] : [0, 1];
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
