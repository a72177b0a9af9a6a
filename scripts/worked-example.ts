#!/usr/bin/env tsx
// Writes docs/worked-example.md: the blog's Trick 2 table filled with numbers, for a tiny sigmoid
// RNN and a tiny LSTM (H = 2, V = 3, T = 3), computed by the library itself (gradientFlow and the
// model's own backward pass) and checked against each other before anything is written.
//
//   npm run docs:example            rewrite the page
//   (test/docs/worked-example.test.ts fails when the committed page differs)
import { renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { batchFromRows, gradientFlow, RnnModel, type ModelConfig } from '../src/index.js';
import { allocate } from '../src/core/arrays.js';

export const workedExamplePath = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'worked-example.md');

const H = 2;
const V = 3;
const inputs = [0, 2, 1]; // x(1), x(2), x(3): token ids (one-hot vectors)
const targets = [2, 1, 0]; // y(1), y(2), y(3)
const T = inputs.length;

const fmt = (v: number) => (v >= 0 ? ' ' : '') + v.toFixed(4);
const vec = (v: ArrayLike<number>) => `(${Array.from(v, fmt).join(', ')})`;
const mat = (m: ArrayLike<number>, rows: number, cols: number) =>
  `[${Array.from({ length: rows }, (_, i) =>
    Array.from(m)
      .slice(i * cols, (i + 1) * cols)
      .map(fmt)
      .join(' '),
  ).join('; ')}]`;

function section(cell: 'rnn' | 'lstm'): string {
  const config: ModelConfig = { cell, activation: 'sigmoid', vocabSize: V, hidden: H, embed: 0, layers: 1, dtype: 'float64', init: 'scaled' };
  const model = RnnModel.initialized(config, 5);
  const lines: string[] = [];
  const w = model.weights;
  if (cell === 'rnn') {
    lines.push(`Weights (\`RnnModel.initialized(config, 5)\`, rows separated by \`;\`):`, '');
    lines.push(`    W_h = ${mat(w.Wh, H, H)}    W_x = ${mat(w.Wx, H, V)}    b_1 = ${vec(w.b1)}`);
    lines.push(`    U   = ${mat(w.U, V, H)}    b_2 = ${vec(w.b2)}`, '');
  } else {
    lines.push(`Weights: \`RnnModel.initialized(config, 5)\` with \`cell: 'lstm'\` (W_h is 8 × 2: the gates i, f, g, o stacked).`, '');
  }

  // Forward, step by step: h(t) (and c(t)), ŷ(t), J(t).
  const S = model.stateSize;
  let state = allocate('float64', S);
  const logits = allocate('float64', V);
  lines.push(
    '| t | x(t) | y(t) | h(t) | ' + (cell === 'lstm' ? 'c(t) | ' : '') + 'ŷ(t) | J(t) |',
    '|---|---|---|---|' + (cell === 'lstm' ? '---|' : '') + '---|---|',
  );
  for (let t = 0; t < T; t++) {
    const next = allocate('float64', S);
    model.step(Int32Array.of(inputs[t]), state, next, logits);
    const max = Math.max(...logits);
    const e = Array.from(logits, (v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    const yHat = e.map((v) => v / sum);
    const c = cell === 'lstm' ? `${vec(next.subarray(H, 2 * H))} | ` : '';
    lines.push(`| ${t + 1} | ${inputs[t]} | ${targets[t]} | ${vec(next.subarray(0, H))} | ${c}${vec(yHat)} | ${fmt(-Math.log(yHat[targets[t]]))} |`);
    state = next;
  }
  lines.push('');

  // The Trick 2 table: γ_t(k) for every t ≥ k, and the sum BPTT carries.
  const flow = gradientFlow(model, inputs, targets);
  const gamma = (t: number, k: number) => flow.vectors.subarray(((t - 1) * T + (k - 1)) * H, ((t - 1) * T + k) * H);
  lines.push('| k | γ_k(k) = Uᵀ(ŷ(k) − y(k)), local | γ_t(k) from later loss terms, t > k | γ(k) = Σ_{t≥k} γ_t(k) |', '|---|---|---|---|');
  for (let k = T; k >= 1; k--) {
    const later = [];
    const total = Array.from(gamma(k, k));
    for (let t = k + 1; t <= T; t++) {
      later.push(`γ_${t}(${k}) = ${vec(gamma(t, k))}`);
      gamma(t, k).forEach((v, j) => (total[j] += v));
    }
    lines.push(`| ${k} | ${vec(gamma(k, k))} | ${later.join('<br>') || '(none: nothing after step T)'} | ${vec(total)} |`);
  }
  lines.push('');

  // The real backward pass on the same sequence: its ∂J/∂W_h must be Σ_k (5.2) with these γ(k) (the RNN).
  model.forward(batchFromRows([inputs], [targets]));
  model.backward({ scale: 1, clip: Infinity });
  if (cell === 'rnn') {
    const h: Float64Array[] = [new Float64Array(H)];
    let prev = allocate('float64', S);
    for (let t = 0; t < T; t++) {
      const next = allocate('float64', S);
      model.step(Int32Array.of(inputs[t]), prev, next, logits);
      h.push(Float64Array.from(next));
      prev = next;
    }
    const dWh = new Float64Array(H * H);
    lines.push("Each step's (5.2), `∂J/∂W_h(k) = (γ(k) ∘ σ'(z(k))) h(k−1)ᵀ` with `σ' = h(1 − h)`, and their sum (4.1):", '');
    for (let k = T; k >= 1; k--) {
      const g = new Float64Array(H);
      for (let t = k; t <= T; t++) gamma(t, k).forEach((v, j) => (g[j] += v));
      const dz = g.map((v, j) => v * h[k][j] * (1 - h[k][j]));
      const term = new Float64Array(H * H);
      for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) term[i * H + j] = dz[i] * h[k - 1][j];
      term.forEach((v, i) => (dWh[i] += v));
      lines.push(`    k = ${k}:  dz(${k}) = ${vec(dz)}    ∂J/∂W_h(${k}) = ${mat(term, H, H)}`);
    }
    lines.push('', `    Σ_k = ${mat(dWh, H, H)}    RnnModel.backward: ${mat(model.gradients.Wh, H, H)}`, '');
    const worst = Math.max(...dWh.map((v, i) => Math.abs(v - model.gradients.Wh[i])));
    if (worst > 1e-12) throw new Error(`the worked example's ∂J/∂W_h differs from the model's by ${worst}`);
    lines.push('(k = 1 adds nothing: h(0) = 0.)', '');
  } else {
    lines.push(
      'For the LSTM, γ_t(k) is ∂J(t)/∂h(k) with the cell state c(k) held as a separate variable, exactly what its',
      'backward pass carries in γ (the gradient through c travels as κ, L.5 and L.11 of [derivations/lstm.md](derivations/lstm.md)).',
      '',
    );
  }
  return lines.join('\n');
}

/** The text of the page. */
export function workedExample(): string {
  return `# A worked example: the Trick 2 table with numbers

<!-- Generated by scripts/worked-example.ts (npm run docs:example). Do not edit. -->

The blog's Trick 2 table (*Accumulating Gradients*) for one sequence of T = 3 steps, with H = 2 hidden
units and V = 3 tokens, filled with the numbers the library computes. Read it next to
[derivation.md](derivation.md) and [\`src/model/blog-oracle.ts\`](../src/model/blog-oracle.ts). Steps are numbered 1..T
as in the blog; h(0) = 0. The γ_t(k) = ∂J(t)/∂h(k) come from \`gradientFlow\` (src/model/gradient-flow.ts),
which runs the model's own backward pass once per loss term; BPTT itself only ever forms their sum γ(k).

Sequence: x = (${inputs.join(', ')}), y = (${targets.join(', ')}).

## The seed's sigmoid RNN

${section('rnn')}
## An LSTM

${section('lstm')}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(`${workedExamplePath}.tmp`, workedExample());
  renameSync(`${workedExamplePath}.tmp`, workedExamplePath);
  console.log(`wrote ${workedExamplePath}`);
}
