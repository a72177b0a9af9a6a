/**
 * Reference vectors from PyTorch's own nn.RNN (test/fixtures/gen/reference_torch.py): the
 * weights file PyTorch's side wrote (with PyTorch's tensor names, two biases) loads into bptt,
 * and the loss, the logits, every gradient and ∂J/∂h0 match in float64 to 1e-9.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFromRows, decodeModelFile, type RnnWeights } from '../../src/index.js';
import { expectClose, readFixture, repoRoot } from '../helpers.js';

interface TorchFixture {
  B: number;
  T: number;
  H: number;
  V: number;
  embed: number;
  inputs: number[];
  targets: number[];
  lengths: number[];
  h0: number[];
  c0: number[];
  loss: number;
  logits: number[];
  grads: Record<string, number[]>;
}

/** PyTorch's tensor name → ours; for RNN and LSTM both PyTorch biases are the seed's b1 (both get db1); the GRU keeps bias_hh as bh. */
const ours = (name: string, cell: string): keyof RnnWeights => (cell === 'gru' && name === 'rnn.bias_hh_l0' ? 'bh' : OURS[name]);
const OURS: Record<string, keyof RnnWeights> = {
  'rnn.weight_ih_l0': 'Wx',
  'rnn.weight_hh_l0': 'Wh',
  'rnn.bias_ih_l0': 'b1',
  'rnn.bias_hh_l0': 'b1',
  'fc.weight': 'U',
  'fc.bias': 'b2',
  'embedding.weight': 'embedding',
};

describe.each(['tanh-onehot', 'relu-onehot', 'tanh-embed', 'relu-embed', 'lstm-onehot', 'lstm-embed', 'gru-onehot', 'gru-embed'])('PyTorch nn.RNN / nn.LSTM / nn.GRU, %s', (name) => {
  const f = readFixture<TorchFixture>(`torch-${name}.json`);
  const load = () => decodeModelFile(readFileSync(join(repoRoot, 'test', 'fixtures', `torch-${name}.safetensors`)), `torch-${name}.safetensors`).model;
  const rows = (flat: number[]) => f.lengths.map((length, b) => flat.slice(b * f.T, b * f.T + length));

  it('loads with PyTorch\'s names and matches the loss, logits, every gradient and dJ/dh0 to 1e-9', () => {
    const model = load();
    expect(model.config.dtype).toBe('float64');
    const batch = batchFromRows(rows(f.inputs), rows(f.targets), f.T);
    const loss = model.forward(batch, Float64Array.from([...f.h0, ...f.c0])) / f.B; // the LSTM's initial state is h0 then c0
    expect(Math.abs(loss - f.loss)).toBeLessThan(1e-9);
    model.backward({ scale: 1 / f.B, clip: Infinity });
    const BH = f.B * f.H;
    for (const [torchName, expected] of Object.entries(f.grads)) {
      const initial = model.initialStateGradient();
      const actual = torchName === 'h0' ? initial.subarray(0, BH) : torchName === 'c0' ? initial.subarray(BH, 2 * BH) : model.gradients[ours(torchName, model.config.cell)];
      expectClose(`grad ${torchName}`, actual, expected, 1e-9);
    }
  });

  it('the inference step() reproduces PyTorch\'s logits at every real position', () => {
    const model = load();
    const { B, T, H, V } = f;
    let hPrev = Float64Array.from([...f.h0, ...f.c0]);
    const h = new Float64Array(model.stateSize * B);
    const logits = new Float64Array(B * V);
    for (let t = 0; t < T; t++) {
      model.step(Int32Array.from({ length: B }, (_, b) => f.inputs[b * T + t]), hPrev, h, logits);
      for (let b = 0; b < B; b++) {
        if (t >= f.lengths[b]) continue;
        expectClose(`theta row ${b} step ${t}`, logits.subarray(b * V, (b + 1) * V), f.logits.slice((b * T + t) * V, (b * T + t + 1) * V), 1e-9);
      }
      hPrev = Float64Array.from(h);
    }
  });
});
