import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadChartLibraries, LossHistory, lossChartSvg, MAX_STEP_POINTS, thin } from '../../src/cli/loss-plot.js';

beforeAll(loadChartLibraries);

/** The points of an SVG path drawn by straight segments: one per M or L command. */
const pathPoints = (d: string) => (d.match(/[ML]/g) ?? []).length;

function parse(svg: string) {
  expect(XMLValidator.validate(svg)).toBe(true);
  const root = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg).svg;
  const groups: { id: string; path: { d: string }; circle?: unknown }[] = [root.g].flat().filter((g: { class?: string }) => g.class === 'series');
  const series = Object.fromEntries(groups.map((g) => [g.id, { points: pathPoints(g.path.d), dots: g.circle === undefined ? 0 : [g.circle].flat().length }]));
  return { root, series };
}

function history(steps: number, epochs: number, withValidation = true): LossHistory {
  const h = new LossHistory();
  const perEpoch = steps / epochs;
  for (let step = 1; step <= steps; step++) {
    h.recordStep(step, 3 / Math.sqrt(step) + 0.1 * Math.sin(step));
    if (step % perEpoch === 0) h.recordEpoch(step, 3 / Math.sqrt(step), withValidation ? 3.2 / Math.sqrt(step) : NaN);
  }
  return h;
}

describe('--plot: the loss chart', () => {
  it('is well-formed SVG with both series and the right number of points', () => {
    const { root, series } = parse(lossChartSvg(history(60, 4), { title: 'rnn on <dinos> & more', unit: 'char' }));
    expect(series['train-step'].points).toBe(60);
    expect(series['train-smoothed'].points).toBe(60);
    expect(series['train-epoch']).toEqual({ points: 4, dots: 4 });
    expect(series['validation-epoch']).toEqual({ points: 4, dots: 4 });
    const texts = JSON.stringify(root);
    expect(texts).toContain('rnn on <dinos> & more'); // escaped in the file, read back as written
    expect(texts).toContain('loss (nats/char)');
    expect(texts).toContain('validation loss, per epoch');
    expect(texts).toContain('optimizer step');
  });

  it('has ticks on both axes', () => {
    const svg = lossChartSvg(history(60, 4), { title: 't', unit: 'token' });
    const ticks = svg.match(/<g transform="translate\([^)]*\)"><line/g) ?? [];
    expect(ticks.length).toBeGreaterThanOrEqual(6);
    expect(svg).toContain('loss (nats/token)');
  });

  it('draws an empty validation series when there is no validation data', () => {
    const { series } = parse(lossChartSvg(history(20, 2, false), { title: 't', unit: 'char' }));
    expect(series['validation-epoch']).toEqual({ points: 0, dots: 0 });
    expect(series['train-epoch'].points).toBe(2);
  });

  it('thins long per-step series to at most MAX_STEP_POINTS, keeping the last step', () => {
    const h = history(MAX_STEP_POINTS * 3 + 7, 1);
    const kept = thin(h.steps);
    expect(kept.length).toBeLessThanOrEqual(MAX_STEP_POINTS);
    expect(kept.at(-1)).toEqual(h.steps.at(-1));
    expect(parse(lossChartSvg(h, { title: 't', unit: 'char' })).series['train-step'].points).toBe(kept.length);
  });

  it('smooths with a debiased moving average: a constant loss stays constant', () => {
    const h = new LossHistory();
    for (let step = 1; step <= 10; step++) h.recordStep(step, 2);
    for (const p of h.smoothed) expect(p.loss).toBeCloseTo(2, 12);
  });
});
