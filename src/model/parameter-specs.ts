/**
 * The model's parameter table (core/parameters.ts): which tensors a config has, their shapes
 * (out, in) and initialisation, and the named views the model reads them through.
 */
import type { FloatArray } from '../core/arrays.js';
import type { Init, ParameterSpec } from '../core/parameters.js';
import { CELL_TYPES } from '../nn/cells.js';
import type { LayerWeights } from '../nn/recurrent-cell.js';
import { NOTEBOOK_INIT, type ModelConfig } from './config.js';

/** The parameter table of a config: names, shapes (out, in) and initialisation. */
export function parameterSpecs(config: ModelConfig): ParameterSpec[] {
  const { hidden: H, vocabSize: V, embed } = config;
  const cell = CELL_TYPES[config.cell];
  const units = cell.gatesPerUnit * H; // the LSTM stacks its four gates' weights: (4H × ·), the GRU three
  const weight: Init = config.init === NOTEBOOK_INIT ? { kind: 'normal', std: 1 } : { kind: 'uniform', limit: 1 / Math.sqrt(H) };
  const bias: Init = config.init === NOTEBOOK_INIT ? { kind: 'zeros' } : { kind: 'uniform', limit: 1 / Math.sqrt(H) };
  const specs: ParameterSpec[] = [];
  if (embed > 0) specs.push({ name: 'embedding', shape: [V, embed], init: { kind: 'normal', std: 1 } });
  for (let layer = 0; layer < config.layers; layer++) {
    // Layer 0 reads the tokens (one-hot or embedded, D wide); layer l > 0 reads layer l − 1's h (H wide).
    const D = layer > 0 ? H : embed > 0 ? embed : V;
    const name = (base: string) => layerParameterName(base, layer);
    specs.push(
      { name: name('Wh'), shape: [units, H], init: weight },
      { name: name('Wx'), shape: [units, D], init: weight },
      { name: name('b1'), shape: [units], init: bias },
      // The GRU keeps the recurrent bias apart: its reset gate multiplies Wh·h + bh (docs/derivations/gru.md).
      ...(cell.recurrentBias ? [{ name: name('bh'), shape: [units], init: bias }] : []),
    );
  }
  specs.push({ name: 'U', shape: [V, H], init: weight }, { name: 'b2', shape: [V], init: bias });
  return specs;
}

/** A recurrent layer's parameter name: Wh, Wx, b1, bh for layer 0; Wh_l1, … for layer 1 (PyTorch's …_l1). */
export function layerParameterName(base: string, layer: number): string {
  return layer === 0 ? base : `${base}_l${layer}`;
}

/** One recurrent layer's weights (bh only for the GRU). */
export type RnnLayerWeights = LayerWeights;

/** Named views into the flat parameter (or gradient) array; Wh, Wx, b1, bh are layer 0's. */
export interface RnnWeights {
  /** (H×H) */ Wh: FloatArray;
  /** (H×D) */ Wx: FloatArray;
  /** (H) */ b1: FloatArray;
  /** (V×H) */ U: FloatArray;
  /** (V) */ b2: FloatArray;
  /** (V×d), only when embed > 0 */ embedding: FloatArray;
  /** (3H), the GRU's recurrent bias only */ bh: FloatArray;
}

/** Each recurrent layer's views Wh, Wx, b1 (bh) out of the model's named views. */
export function layerViews(views: RnnWeights, layers: number): LayerWeights[] {
  const named = views as unknown as Record<string, FloatArray>;
  return Array.from({ length: layers }, (_, layer) => ({
    Wh: named[layerParameterName('Wh', layer)],
    Wx: named[layerParameterName('Wx', layer)],
    b1: named[layerParameterName('b1', layer)],
    bh: named[layerParameterName('bh', layer)],
  }));
}
