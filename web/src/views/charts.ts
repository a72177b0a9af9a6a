/**
 * The live charts (uPlot): training and validation loss, tokens/s, the
 * gradient norm and the fraction of gradient entries clipped, against the
 * training step.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ProgressPoint } from '../protocol.js';

interface Chart {
  plot: uPlot;
  data: (number | null)[][];
}

const HEIGHT = 170;

export class Charts {
  private readonly charts: Chart[] = [];
  private readonly loss: Chart;
  private readonly speed: Chart;
  private readonly norm: Chart;
  private readonly clipped: Chart;
  private redrawQueued = false;

  constructor(root: HTMLElement) {
    const chart = (id: string, title: string, series: uPlot.Series[], log = false): Chart => {
      const element = root.querySelector<HTMLElement>(`#${id}`)!;
      const data: (number | null)[][] = [[], ...series.map(() => [])];
      const plot = new uPlot(
        {
          title,
          width: Math.max(240, element.clientWidth),
          height: HEIGHT,
          scales: { x: { time: false }, ...(log ? { y: { distr: 3 } } : {}) },
          axes: [{ label: 'step' }, { size: 64 }],
          series: [{ label: 'step' }, ...series],
        },
        data as uPlot.AlignedData,
        element,
      );
      const made = { plot, data };
      this.charts.push(made);
      return made;
    };
    this.loss = chart('chart-loss', 'Loss (nats per character)', [
      { label: 'train', stroke: '#1f77b4', width: 1.5 },
      { label: 'validation', stroke: '#d62728', width: 2, spanGaps: true, points: { show: true, size: 6 } },
    ]);
    this.speed = chart('chart-speed', 'Tokens per second', [{ label: 'tokens/s', stroke: '#2ca02c', width: 1.5 }]);
    this.norm = chart('chart-norm', 'Gradient norm ‖∂J/∂θ‖ (after clipping)', [{ label: 'norm', stroke: '#9467bd', width: 1.5 }], true);
    this.clipped = chart('chart-clipped', 'Fraction of gradient entries clipped', [{ label: 'clipped', stroke: '#ff7f0e', width: 1.5 }]);
    window.addEventListener('resize', () => {
      for (const { plot } of this.charts) plot.setSize({ width: Math.max(240, plot.root.parentElement!.clientWidth), height: HEIGHT });
    });
  }

  clear(): void {
    for (const chart of this.charts) for (const column of chart.data) column.length = 0;
    this.redraw();
  }

  add(point: ProgressPoint): void {
    push(this.loss, point.step, point.loss, null);
    push(this.speed, point.step, point.tokensPerSecond);
    push(this.norm, point.step, point.gradientNorm > 0 ? point.gradientNorm : null);
    push(this.clipped, point.step, point.clippedFraction);
    this.queueRedraw();
  }

  addValidation(step: number, validationLoss: number): void {
    if (Number.isFinite(validationLoss)) push(this.loss, step, null, validationLoss);
    this.queueRedraw();
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
    for (const { plot, data } of this.charts) plot.setData(data as uPlot.AlignedData);
  }
}

function push(chart: Chart, x: number, ...ys: (number | null)[]): void {
  chart.data[0].push(x);
  ys.forEach((y, i) => chart.data[i + 1].push(y));
}
