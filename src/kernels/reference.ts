/**
 * The reference kernels: plain TypeScript loops, written to be read.
 *
 * This is the oracle every faster backend is tested against. The loops are
 * ordered so the innermost one walks contiguous memory (row-major), which is
 * also what makes them reasonably fast in V8.
 */
import { allocate, type FloatArray } from '../core/arrays.js';
import type { Kernels } from './kernels.js';

/** The kernels in plain TypeScript: the definition the WebAssembly ones are tested against, and what float64 models and engines without WebAssembly use. */
export const referenceKernels: Kernels = {
  name: 'reference',

  allocate,

  matmulABt(out, a, b, m, k, n, accumulate) {
    for (let row = 0; row < m; row++) {
      const aRow = row * k;
      for (let col = 0; col < n; col++) {
        const bRow = col * k;
        let dot = 0;
        for (let i = 0; i < k; i++) dot += a[aRow + i] * b[bRow + i];
        out[row * n + col] = accumulate ? out[row * n + col] + dot : dot;
      }
    }
  },

  matmulAB(out, a, b, m, k, n, accumulate) {
    if (!accumulate) out.fill(0, 0, m * n);
    for (let row = 0; row < m; row++) {
      const outRow = row * n;
      for (let i = 0; i < k; i++) {
        const scale = a[row * k + i];
        if (scale === 0) continue; // one-hot and padded rows are mostly zeros
        const bRow = i * n;
        for (let col = 0; col < n; col++) out[outRow + col] += scale * b[bRow + col];
      }
    }
  },

  matmulAtBAccumulate(out, a, b, m, k, n) {
    for (let i = 0; i < k; i++) {
      const aRow = i * m;
      const bRow = i * n;
      for (let row = 0; row < m; row++) {
        const scale = a[aRow + row];
        if (scale === 0) continue;
        const outRow = row * n;
        for (let col = 0; col < n; col++) out[outRow + col] += scale * b[bRow + col];
      }
    }
  },

  addBias(out, bias, rows, cols) {
    for (let row = 0; row < rows; row++) {
      const offset = row * cols;
      for (let col = 0; col < cols; col++) out[offset + col] += bias[col];
    }
  },

  sumRowsAccumulate(sums, a, rows, cols) {
    for (let row = 0; row < rows; row++) {
      const offset = row * cols;
      for (let col = 0; col < cols; col++) sums[col] += a[offset + col];
    }
  },

  addWeightColumns(out, weight, ids, rows, hidden, vocab) {
    for (let row = 0; row < rows; row++) {
      const id = ids[row];
      const outRow = row * hidden;
      for (let i = 0; i < hidden; i++) out[outRow + i] += weight[i * vocab + id];
    }
  },

  addToWeightColumns(gradWeight, dz, ids, rows, hidden, vocab) {
    for (let row = 0; row < rows; row++) {
      const id = ids[row];
      const dzRow = row * hidden;
      for (let i = 0; i < hidden; i++) gradWeight[i * vocab + id] += dz[dzRow + i];
    }
  },

  gatherRows(out, table, ids, rows, cols) {
    for (let row = 0; row < rows; row++) {
      const from = ids[row] * cols;
      out.set(table.subarray(from, from + cols), row * cols);
    }
  },

  scatterAddRows(gradTable, grad, ids, rows, cols) {
    for (let row = 0; row < rows; row++) {
      const to = ids[row] * cols;
      const from = row * cols;
      for (let col = 0; col < cols; col++) gradTable[to + col] += grad[from + col];
    }
  },

  sigmoid(values, length) {
    for (let i = 0; i < length; i++) values[i] = 1 / (1 + Math.exp(-values[i]));
  },

  tanh(values, length) {
    for (let i = 0; i < length; i++) values[i] = Math.tanh(values[i]);
  },

  relu(values, length) {
    for (let i = 0; i < length; i++) if (values[i] < 0) values[i] = 0;
  },

  reluBackward(dz, gamma, h, length) {
    for (let i = 0; i < length; i++) dz[i] = h[i] > 0 ? gamma[i] : 0;
  },

  sigmoidBackward(dz, gamma, h, length) {
    for (let i = 0; i < length; i++) dz[i] = gamma[i] * h[i] * (1 - h[i]);
  },

  tanhBackward(dz, gamma, h, length) {
    for (let i = 0; i < length; i++) dz[i] = gamma[i] * (1 - h[i] * h[i]);
  },

  softmaxCrossEntropy(logits, targets, mask, rows, vocab) {
    let loss = 0;
    for (let row = 0; row < rows; row++) {
      const offset = row * vocab;
      // Subtracting the row maximum keeps e^θ finite; it cancels in (3.1).
      let max = -Infinity;
      for (let j = 0; j < vocab; j++) if (logits[offset + j] > max) max = logits[offset + j];
      const targetLogit = logits[offset + targets[row]];
      let sum = 0;
      for (let j = 0; j < vocab; j++) {
        const e = Math.exp(logits[offset + j] - max);
        logits[offset + j] = e;
        sum += e;
      }
      for (let j = 0; j < vocab; j++) logits[offset + j] /= sum;
      // (3.2) −log ŷ[target] = log Σ e^(θ−max) − (θ[target] − max): finite even when ŷ[target] underflows.
      if (mask[row] !== 0) loss += mask[row] * (Math.log(sum) - (targetLogit - max));
    }
    return loss;
  },

  softmaxCrossEntropyBackward(probs, targets, mask, scale, rows, vocab) {
    for (let row = 0; row < rows; row++) {
      const offset = row * vocab;
      const weight = mask[row] * scale;
      if (weight === 0) {
        probs.fill(0, offset, offset + vocab);
        continue;
      }
      for (let j = 0; j < vocab; j++) probs[offset + j] *= weight;
      probs[offset + targets[row]] -= weight;
    }
  },

  lstmGates(gates, c, h, cPrev, rows, hidden) {
    const H = hidden;
    for (let row = 0; row < rows; row++) {
      const z = row * 4 * H;
      for (let j = 0; j < H; j++) {
        const i = 1 / (1 + Math.exp(-gates[z + j])); // (L.2)
        const f = 1 / (1 + Math.exp(-gates[z + H + j]));
        const g = Math.tanh(gates[z + 2 * H + j]);
        const o = 1 / (1 + Math.exp(-gates[z + 3 * H + j]));
        gates[z + j] = i;
        gates[z + H + j] = f;
        gates[z + 2 * H + j] = g;
        gates[z + 3 * H + j] = o;
        const cell = f * cPrev[row * H + j] + i * g; // (L.3)
        c[row * H + j] = cell;
        h[row * H + j] = o * Math.tanh(cell); // (L.4)
      }
    }
  },

  lstmGatesBackward(dGates, kappa, gamma, gates, c, cPrev, rows, hidden) {
    const H = hidden;
    for (let row = 0; row < rows; row++) {
      const z = row * 4 * H;
      for (let j = 0; j < H; j++) {
        const n = row * H + j;
        const i = gates[z + j];
        const f = gates[z + H + j];
        const g = gates[z + 2 * H + j];
        const o = gates[z + 3 * H + j];
        const tanhC = Math.tanh(c[n]);
        const k = kappa[n] + gamma[n] * o * (1 - tanhC * tanhC); // (L.5) κ(t)
        dGates[z + j] = k * g * i * (1 - i); // (L.8)
        dGates[z + H + j] = k * cPrev[n] * f * (1 - f); // (L.7)
        dGates[z + 2 * H + j] = k * i * (1 - g * g); // (L.9)
        dGates[z + 3 * H + j] = gamma[n] * tanhC * o * (1 - o); // (L.6)
        kappa[n] = k * f; // (L.11) κ(t−1) gets κ(t) ∘ f(t)
      }
    }
  },

  gruGates(gates, p, qn, hPrev, h, rows, hidden) {
    const H = hidden;
    for (let row = 0; row < rows; row++) {
      const z = row * 3 * H;
      for (let j = 0; j < H; j++) {
        const r = 1 / (1 + Math.exp(-(p[z + j] + gates[z + j]))); // (G.2)
        const u = 1 / (1 + Math.exp(-(p[z + H + j] + gates[z + H + j])));
        const q = gates[z + 2 * H + j];
        const n = Math.tanh(p[z + 2 * H + j] + r * q); // (G.3)
        gates[z + j] = r;
        gates[z + H + j] = u;
        gates[z + 2 * H + j] = n;
        qn[row * H + j] = q;
        h[row * H + j] = (1 - u) * n + u * hPrev[row * H + j]; // (G.4)
      }
    }
  },

  gruGatesBackward(dq, dp, gammaPrev, gamma, gates, qn, hPrev, rows, hidden) {
    const H = hidden;
    for (let row = 0; row < rows; row++) {
      const z = row * 3 * H;
      for (let j = 0; j < H; j++) {
        const n0 = row * H + j;
        const r = gates[z + j];
        const u = gates[z + H + j];
        const n = gates[z + 2 * H + j];
        const g = gamma[n0];
        const dn = g * (1 - u) * (1 - n * n); // (G.5)
        const du = g * (hPrev[n0] - n) * u * (1 - u); // (G.6)
        const dr = dn * qn[n0] * r * (1 - r); // (G.7)
        dp[z + j] = dr; // (G.8)
        dp[z + H + j] = du;
        dp[z + 2 * H + j] = dn;
        dq[z + j] = dr;
        dq[z + H + j] = du;
        dq[z + 2 * H + j] = dn * r;
        gammaPrev[n0] = g * u; // the direct term of (G.10)
      }
    }
  },

  sumOfSquares(values, length) {
    let sum = 0;
    for (let i = 0; i < length; i++) sum += values[i] * values[i];
    return sum;
  },

  clip(values, length, limit) {
    let clipped = 0;
    for (let i = 0; i < length; i++) {
      const v = values[i];
      if (v > limit) {
        values[i] = limit;
        clipped++;
      } else if (v < -limit) {
        values[i] = -limit;
        clipped++;
      }
    }
    return clipped;
  },

  add(out: FloatArray, a: FloatArray, length: number) {
    for (let i = 0; i < length; i++) out[i] += a[i];
  },

  rmspropStep(params, grads, squareAverage, momentumBuffer, length, learningRate, alpha, epsilon, momentum) {
    for (let i = 0; i < length; i++) {
      const g = grads[i];
      squareAverage[i] = alpha * squareAverage[i] + (1 - alpha) * g * g;
      const direction = g / (Math.sqrt(squareAverage[i]) + epsilon);
      if (momentumBuffer && momentum > 0) {
        momentumBuffer[i] = momentum * momentumBuffer[i] + direction;
        params[i] -= learningRate * momentumBuffer[i];
      } else params[i] -= learningRate * direction;
    }
  },

  adamStep(params, grads, m, v, length, beta1, beta2, epsilon, stepSize, secondCorrection, keep) {
    for (let i = 0; i < length; i++) {
      const g = grads[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] = params[i] * keep - (stepSize * m[i]) / (Math.sqrt(v[i]) / secondCorrection + epsilon);
    }
  },

  adagradStep(params, grads, memory, learningRate, epsilon, length) {
    for (let i = 0; i < length; i++) {
      const g = grads[i];
      memory[i] += g * g;
      params[i] -= (learningRate * g) / Math.sqrt(memory[i] + epsilon);
    }
  },

  multiply(out, a, length) {
    for (let i = 0; i < length; i++) out[i] *= a[i];
  },

  packedSize(_dtype, k, n) {
    return k * n;
  },

  // The reference "packs" B as the plain row-major matrix it is, so matmulPacked is matmulAB.
  pack(packed, b, k, n, transposed) {
    if (transposed) referenceKernels.transpose(packed, b, n, k);
    else packed.set(b.subarray(0, k * n));
  },

  matmulPacked(out, a, packed, m, k, n, accumulate) {
    referenceKernels.matmulAB(out, a, packed, m, k, n, accumulate);
  },

  transpose(out, a, rows, cols) {
    for (let row = 0; row < rows; row++) for (let col = 0; col < cols; col++) out[col * rows + row] = a[row * cols + col];
  },
};
