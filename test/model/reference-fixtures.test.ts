/**
 * Golden vectors from an independent numpy implementation
 * (test/fixtures/gen/reference_numpy.py): loss, logits, every gradient and
 * ∂J/∂h0, and two 5-step Adagrad trajectories (clip 5, and clip 0.02 which
 * really clips) must match in float64 to 1e-10.
 */
import { describe, expect, it } from 'vitest';
import { Adagrad, RnnModel, batchFromRows, type Activation, type RnnWeights } from '../../src/index.js';
import { expectClose, readFixture } from '../helpers.js';

interface Fixture {
  activation: Activation;
  B: number;
  T: number;
  H: number;
  V: number;
  embed: number;
  divisor: number;
  inputs: number[];
  targets: number[];
  mask: number[];
  h0: number[];
  params: Record<string, number[]>;
  forward: { loss: number; logits: number[]; h: number[] };
  grads: Record<string, number[]>;
  adagrad: { clip: number; lr: number; losses: number[]; params_after: Record<string, number[]> }[];
}

const TOLERANCE = 1e-10;
/** The fixture calls the embedding table E. */
const ourName = (fixtureName: string) => (fixtureName === 'E' ? 'embedding' : fixtureName) as keyof RnnWeights;

function load(name: string) {
  const f = readFixture<Fixture>(name);
  const model = new RnnModel({ cell: 'rnn', activation: f.activation, vocabSize: f.V, hidden: f.H, embed: f.embed, layers: 1, dtype: 'float64', init: 'seed' });
  const setParams = (params: Record<string, number[]>) => {
    for (const [key, values] of Object.entries(params)) model.weights[ourName(key)].set(values);
  };
  setParams(f.params);
  // The fixture's rows are (B, T) row-major with a mask; rebuild per-row lists of the real positions.
  const rowsOf = (flat: number[]) => Array.from({ length: f.B }, (_, b) => flat.slice(b * f.T, (b + 1) * f.T).filter((_, t) => f.mask[b * f.T + t] === 1));
  const batch = batchFromRows(rowsOf(f.inputs), rowsOf(f.targets), f.T);
  return { f, model, batch, setParams };
}

describe.each(['ref-sigmoid-onehot.json', 'ref-tanh-onehot.json', 'ref-sigmoid-embed.json', 'ref-tanh-embed.json'])('%s', (name) => {
  it('forward loss and every gradient match numpy', () => {
    const { f, model, batch } = load(name);
    const lossSum = model.forward(batch, Float64Array.from(f.h0));
    expect(Math.abs(lossSum / f.divisor - f.forward.loss)).toBeLessThan(TOLERANCE);
    model.backward({ scale: 1 / f.divisor, clip: Infinity });
    for (const [key, expected] of Object.entries(f.grads)) {
      const actual = key === 'h0' ? model.initialStateGradient() : model.gradients[ourName(key)];
      expectClose(`grad ${key}`, actual, expected, TOLERANCE);
    }
  });

  it('the inference step() reproduces the logits and hidden states, padded steps included', () => {
    const { f, model } = load(name);
    const { B, H, V, T } = f;
    let hPrev = Float64Array.from(f.h0);
    const h = new Float64Array(B * H);
    const logits = new Float64Array(B * V);
    for (let t = 0; t < T; t++) {
      const ids = Int32Array.from({ length: B }, (_, b) => f.inputs[b * T + t]);
      model.step(ids, hPrev, h, logits);
      expectClose(`h(${t + 1})`, h, f.forward.h.slice(t * B * H, (t + 1) * B * H), TOLERANCE);
      expectClose(`theta(${t + 1})`, logits, f.forward.logits.slice(t * B * V, (t + 1) * B * V), TOLERANCE);
      hPrev = Float64Array.from(h);
    }
  });

  it.each([0, 1])('5 Adagrad steps with clipping (trajectory %i) match numpy', (index) => {
    const { f, model, batch } = load(name);
    const run = f.adagrad[index];
    const optimizer = new Adagrad(model.params.length, 'float64');
    const losses: number[] = [];
    let clipped = 0;
    for (let step = 0; step < run.losses.length; step++) {
      losses.push(model.forward(batch) / f.divisor);
      clipped += model.backward({ scale: 1 / f.divisor, clip: run.clip });
      optimizer.step(model.params, model.grads, run.lr);
    }
    expectClose('losses', losses, run.losses, TOLERANCE);
    for (const [key, expected] of Object.entries(run.params_after)) expectClose(`${key} after`, model.weights[ourName(key)], expected, TOLERANCE);
    if (run.clip < 1) expect(clipped).toBeGreaterThan(0); // the small limit really clips
  });
});
