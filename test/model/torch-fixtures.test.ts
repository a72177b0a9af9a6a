/**
 * Reference vectors from PyTorch's own nn.RNN, nn.LSTM and nn.GRU, with one
 * and two layers (test/fixtures/gen/reference_torch.py): the weights file
 * PyTorch's side wrote (PyTorch's tensor names, two biases) loads into bptt,
 * and the loss, the logits, every gradient and ∂J/∂(h0, c0) match in float64 to 1e-9.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFromRows, decodeModelFile, type FloatArray, type RnnModel } from '../../src/index.js';
import { expectClose, readFixture, repoRoot } from '../helpers.js';

interface TorchFixture {
  B: number;
  T: number;
  H: number;
  V: number;
  embed: number;
  layers?: number;
  inputs: number[];
  targets: number[];
  lengths: number[];
  h0: number[];
  c0: number[];
  loss: number;
  logits: number[];
  grads: Record<string, number[]>;
}

/** The gradient bptt holds for a PyTorch tensor name; for RNN and LSTM both PyTorch biases are the seed's b1. */
function ourGradient(model: RnnModel, torchName: string): FloatArray {
  const views = model.layout.views(model.grads);
  const recurrent = /^rnn\.(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)$/.exec(torchName);
  if (!recurrent) return views[{ 'fc.weight': 'U', 'fc.bias': 'b2', 'embedding.weight': 'embedding' }[torchName]!];
  const base = { weight_ih: 'Wx', weight_hh: 'Wh', bias_ih: 'b1', bias_hh: model.config.cell === 'gru' ? 'bh' : 'b1' }[recurrent[1]]!;
  return views[recurrent[2] === '0' ? base : `${base}_l${recurrent[2]}`];
}

const cases = [
  ...['tanh', 'relu', 'sigmoid', 'lstm', 'gru'].flatMap((unit) => [`${unit}-onehot`, `${unit}-embed`]),
  ...['tanh', 'relu', 'lstm', 'gru'].map((unit) => `${unit}-2layers`),
];

describe.each(cases)('PyTorch nn.RNN / nn.LSTM / nn.GRU, %s', (name) => {
  const f = readFixture<TorchFixture>(`torch-${name}.json`);
  const L = f.layers ?? 1;
  const load = () => decodeModelFile(readFileSync(join(repoRoot, 'test', 'fixtures', `torch-${name}.safetensors`)), `torch-${name}.safetensors`).model;
  const rows = (flat: number[]) => f.lengths.map((length, b) => flat.slice(b * f.T, b * f.T + length));
  const BH = f.B * f.H;
  /** bptt's initial state: per layer h0 (B×H), then c0 for the LSTM; PyTorch's is (layers, B, H) each. */
  const initialState = () =>
    Float64Array.from(Array.from({ length: L }, (_, l) => [...f.h0.slice(l * BH, (l + 1) * BH), ...f.c0.slice(l * BH, (l + 1) * BH)]).flat());

  it("loads with PyTorch's names and matches the loss, logits, every gradient and dJ/d(h0, c0) to 1e-9", () => {
    const model = load();
    expect(model.config).toMatchObject({ dtype: 'float64', layers: L });
    const batch = batchFromRows(rows(f.inputs), rows(f.targets), f.T);
    const loss = model.forward(batch, initialState()) / f.B;
    expect(Math.abs(loss - f.loss)).toBeLessThan(1e-9);
    model.backward({ scale: 1 / f.B, clip: Infinity });
    const initial = model.initialStateGradient();
    const S = model.stateSize / L; // numbers per row of one layer's state
    for (const [torchName, expected] of Object.entries(f.grads)) {
      if (torchName === 'h0' || torchName === 'c0') {
        for (let l = 0; l < L; l++) {
          const at = l * f.B * S + (torchName === 'c0' ? BH : 0);
          expectClose(`grad ${torchName} layer ${l}`, initial.subarray(at, at + BH), expected.slice(l * BH, (l + 1) * BH), 1e-9);
        }
      } else expectClose(`grad ${torchName}`, ourGradient(model, torchName), expected, 1e-9);
    }
  });

  it("the inference step() reproduces PyTorch's logits at every real position", () => {
    const model = load();
    const { B, T, V } = f;
    let statePrev = initialState();
    const state = new Float64Array(model.stateSize * B);
    const logits = new Float64Array(B * V);
    for (let t = 0; t < T; t++) {
      model.step(
        Int32Array.from({ length: B }, (_, b) => f.inputs[b * T + t]),
        statePrev,
        state,
        logits,
      );
      for (let b = 0; b < B; b++) {
        if (t >= f.lengths[b]) continue;
        expectClose(`theta row ${b} step ${t}`, logits.subarray(b * V, (b + 1) * V), f.logits.slice((b * T + t) * V, (b * T + t + 1) * V), 1e-9);
      }
      statePrev = Float64Array.from(state);
    }
  });
});
