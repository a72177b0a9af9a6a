/**
 * The live charts (uPlot): training and validation loss, tokens/s, the
 * gradient norm and the fraction of gradient entries clipped, against the
 * training step.
 *
 * A long run sends thousands of points: each chart keeps at most MAX_POINTS
 * rows by averaging neighbouring rows in pairs when it gets there
 * (downsampling, so the line stays a line), and every series spans the gaps
 * the other series' x values leave in uPlot's aligned data (a validation
 * point is a row without a training loss).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ProgressPoint } from '../protocol.js';

/** One row: x, then one value (or null) per series. */
type Row = (number | null)[];

interface Chart {
  plot: uPlot;
  rows: Row[];
  /** Extra series computed at redraw (the kept best validation point). */
  extra?: (rows: Row[]) => (number | null)[][];
}

/** The most rows a chart keeps; beyond, neighbours are averaged in pairs. */
export const MAX_POINTS = 1200;
const HEIGHT = 240;

export type ChartName = 'loss' | 'speed' | 'norm' | 'clipped';

export class Charts {
  private readonly charts = new Map<ChartName, Chart>();
  private best: { step: number; loss: number } | null = null;
  private redrawQueued = false;

  constructor(root: HTMLElement) {
    const chart = (name: ChartName, id: string, title: string, series: uPlot.Series[], options: Partial<uPlot.Options> = {}, extra?: Chart['extra']): void => {
      const element = root.querySelector<HTMLElement>(`#${id}`)!;
      const plot = new uPlot(
        {
          title,
          width: chartWidth(element),
          height: HEIGHT,
          scales: { x: { time: false } },
          axes: [{ label: 'step' }, { size: 60 }],
          ...options,
          // spanGaps: a row of another series is not a break in this one's line.
          series: [{ label: 'step' }, ...series.map((s) => ({ spanGaps: true, ...s }))],
        },
        [[], ...series.map(() => [])] as uPlot.AlignedData,
        element,
      );
      this.charts.set(name, { plot, rows: [], extra });
    };
    chart(
      'loss',
      'chart-loss',
      'Loss (nats per character)',
      [
        { label: 'train', stroke: '#1f77b4', width: 1.5 },
        { label: 'validation', stroke: '#d62728', width: 2, points: { show: true, size: 5 } },
        { label: 'best (kept)', stroke: '#d62728', width: 0, points: { show: true, size: 12, fill: '#fff', width: 2 } },
      ],
      {
        // The first steps' loss (ln V for a new model) would flatten the rest: the axis stops at twice the lowest loss.
        scales: { x: { time: false }, y: { range: (_, min, max) => [Math.max(0, min * 0.95), Math.max(min * 0.95 + 0.1, Math.min(max * 1.02, min * 2))] } },
      },
      (rows) => [bestColumn(rows, this.best)],
    );
    const compact = new Intl.NumberFormat('en-US', { notation: 'compact' });
    chart('speed', 'chart-speed', 'Tokens per second', [{ label: 'tokens/s', stroke: '#2ca02c', width: 1.5 }], {
      axes: [{ label: 'step' }, { size: 60, values: (_, splits) => splits.map((v) => compact.format(v)) }],
    });
    chart('norm', 'chart-norm', 'Gradient norm ‖∂J/∂θ‖ (after clipping)', [{ label: 'norm', stroke: '#9467bd', width: 1.5 }], {
      scales: { x: { time: false }, y: { distr: 3 } },
    });
    chart(
      'clipped',
      'chart-clipped',
      'Gradient entries clipped (%)',
      [{ label: 'clipped', stroke: '#ff7f0e', width: 1.5, value: (_, v) => (v === null ? '–' : percent(v)) }],
      {
        // From 0, and at least to 0.1%: a run that clips nothing gets a readable axis, not ticks that all round to "0".
        scales: { x: { time: false }, y: { range: (_, __, max) => [0, Math.max(0.001, max * 1.1)] } },
        axes: [{ label: 'step' }, { size: 60, values: (_, splits) => splits.map(percent) }],
      },
    );
    window.addEventListener('resize', () => {
      for (const { plot } of this.charts.values()) plot.setSize({ width: chartWidth(plot.root.parentElement!), height: HEIGHT });
    });
  }

  clear(): void {
    for (const chart of this.charts.values()) chart.rows.length = 0;
    this.best = null;
    this.redraw();
  }

  add(point: ProgressPoint): void {
    this.push('loss', point.step, point.loss, null);
    this.push('speed', point.step, point.tokensPerSecond);
    this.push('norm', point.step, point.gradientNorm > 0 ? point.gradientNorm : null);
    this.push('clipped', point.step, point.clippedFraction);
    this.queueRedraw();
  }

  addValidation(step: number, validationLoss: number): void {
    if (Number.isFinite(validationLoss)) this.push('loss', step, null, validationLoss);
    this.queueRedraw();
  }

  /** Rings the validation point whose weights are kept (the best so far). */
  markBest(step: number, loss: number): void {
    this.best = { step, loss };
    this.queueRedraw();
  }

  /** For the test: how many rows a chart holds, and how many separate pieces uPlot draws a series' line in. */
  lineOf(name: ChartName, series: number): { rows: number; pieces: number } {
    const chart = this.charts.get(name)!;
    const spans = chart.plot.series[series].spanGaps;
    let pieces = 0;
    let inPiece = false;
    for (const row of chart.rows) {
      if (row[series] !== null) {
        if (!inPiece) pieces++;
        inPiece = true;
      } else if (!spans) inPiece = false;
    }
    return { rows: chart.rows.length, pieces };
  }

  /** For the test: the y axis's tick labels as last drawn. */
  tickLabels(name: ChartName): string[] {
    const axis = this.charts.get(name)!.plot.axes[1] as uPlot.Axis & { _values?: string[] };
    return [...(axis._values ?? [])].map(String);
  }

  private push(name: ChartName, x: number, ...ys: (number | null)[]): void {
    const chart = this.charts.get(name)!;
    chart.rows.push([x, ...ys]);
    if (chart.rows.length > MAX_POINTS) chart.rows = halve(chart.rows);
  }

  /** Redraws at most once per frame. */
  private queueRedraw(): void {
    if (this.redrawQueued) return;
    this.redrawQueued = true;
    requestAnimationFrame(() => {
      this.redrawQueued = false;
      this.redraw();
    });
  }

  private redraw(): void {
    for (const chart of this.charts.values()) {
      const columns = chart.plot.series.length - (chart.extra ? 1 : 0);
      const data = Array.from({ length: columns }, (_, i) => chart.rows.map((row) => row[i]));
      if (chart.extra) data.push(...chart.extra(chart.rows));
      chart.plot.setData(data as uPlot.AlignedData);
    }
  }
}

/**
 * Half the rows: each series' rows averaged in pairs of neighbours among the rows with values in
 * the same series (x: the later one's, so the last step stays). A validation row is never merged
 * into a training row; with many epochs, validation rows are merged among themselves.
 */
function halve(rows: Row[]): Row[] {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = row.map((v) => v === null).join();
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(row);
  }
  const out: Row[] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += 2) {
      const a = group[i];
      const b = group[i + 1];
      out.push(b ? b.map((v, j) => (j === 0 || v === null ? v : (v + a[j]!) / 2)) : a);
    }
  }
  return out.sort((a, b) => a[0]! - b[0]!);
}

/** The kept best validation loss, on the validation row nearest its step (rows may have been merged). */
function bestColumn(rows: Row[], best: { step: number; loss: number } | null): (number | null)[] {
  const column: (number | null)[] = rows.map(() => null);
  if (!best) return column;
  let nearest = -1;
  rows.forEach((row, i) => {
    if (row[2] !== null && (nearest < 0 || Math.abs(row[0]! - best.step) < Math.abs(rows[nearest][0]! - best.step))) nearest = i;
  });
  if (nearest >= 0) column[nearest] = best.loss;
  return column;
}

/** A fraction as a percentage, 3 significant digits without trailing zeros: 0.0005 → "0.05%". */
function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}

function chartWidth(element: HTMLElement): number {
  return Math.max(200, element.clientWidth);
}
