/**
 * Gradient flow through time: the seed's Trick 2 table for one line, as a
 * heat map. Row t is the loss term J(t), column k the step whose hidden
 * state h(k) receives γ_t(k) = ∂J(t)/∂h(k); the last row is the sum BPTT
 * actually carries, γ(k) = Σ_t γ_t(k). A pinned map (another cell, an
 * earlier moment) stays beside the live one on the same colour scale.
 */
import type { FlowMessage } from '../protocol.js';
import { drawHeatmap, formatNumber, logColor, showCharacter } from './heatmap.js';

const DECADES = 8; // the colour scale spans this many orders of magnitude below the largest norm
const CELL = 20;

interface Slot {
  canvas: HTMLCanvasElement;
  caption: HTMLElement;
  flow: FlowMessage | null;
  cellAt: (x: number, y: number) => { row: number; col: number } | null;
  selected: { row: number; col: number } | null;
}

export class FlowView {
  private readonly live: Slot;
  private readonly pinned: Slot;
  private readonly readout: HTMLElement;
  private readonly scale: HTMLElement;

  constructor(root: HTMLElement, onText: (text: string) => void) {
    this.live = this.slot(root.querySelector('#flow-live')!);
    this.pinned = this.slot(root.querySelector('#flow-pinned')!);
    this.readout = root.querySelector('#flow-readout')!;
    this.scale = root.querySelector('#flow-scale')!;
    const text = root.querySelector<HTMLInputElement>('#flow-text')!;
    text.addEventListener('change', () => onText(text.value));
    root.querySelector('#flow-pin')!.addEventListener('click', () => {
      if (!this.live.flow) return;
      this.pinned.flow = this.live.flow;
      this.draw();
    });
  }

  private slot(figure: HTMLElement): Slot {
    const canvas = figure.querySelector('canvas')!;
    const slot: Slot = { canvas, caption: figure.querySelector('figcaption')!, flow: null, cellAt: () => null, selected: null };
    const select = (cell: { row: number; col: number } | null) => {
      slot.selected = cell;
      this.draw();
      this.describe(slot);
    };
    canvas.addEventListener('mousemove', (event) => {
      const cell = slot.cellAt(event.offsetX, event.offsetY);
      if (cell && (cell.row !== slot.selected?.row || cell.col !== slot.selected?.col)) select(cell);
    });
    // Keyboard: arrow keys move the selected cell.
    canvas.addEventListener('keydown', (event) => {
      const T = slot.flow?.steps ?? 0;
      if (T === 0) return;
      const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      const move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      const at = slot.selected ?? { row: T - 1, col: T - 1 };
      select({ row: clamp(at.row + move[0], 0, T), col: clamp(at.col + move[1], 0, T - 1) });
    });
    canvas.addEventListener('focus', () => select(slot.selected ?? (slot.flow ? { row: slot.flow.steps - 1, col: slot.flow.steps - 1 } : null)));
    return slot;
  }

  show(flow: FlowMessage): void {
    this.live.flow = flow;
    this.draw();
    if (this.live.selected) this.describe(this.live);
  }

  /** The largest norm on either map (for the test hooks and the scale). */
  get maxNorm(): number {
    return Math.max(...[this.live, this.pinned].flatMap((s) => (s.flow ? [...s.flow.byLossTerm, ...s.flow.total] : [0])));
  }

  private draw(): void {
    const logMax = Math.log10(this.maxNorm || 1);
    const logMin = logMax - DECADES;
    const color = logColor(logMin, logMax);
    this.scale.textContent = `colour: log₁₀ of the norm, from 1e${Math.floor(logMin)} (dark) to ${formatNumber(10 ** logMax)} (yellow), the same scale on both maps`;
    for (const slot of [this.live, this.pinned]) {
      const flow = slot.flow;
      slot.canvas.hidden = !flow;
      if (!flow) continue;
      const T = flow.steps;
      slot.caption.textContent = `${flow.model}${flow.atStep > 0 ? `, after ${flow.atStep} steps` : ''}`;
      slot.canvas.dataset.maxNorm = String(Math.max(...flow.byLossTerm));
      slot.cellAt = drawHeatmap(slot.canvas, {
        rows: T + 1,
        cols: T,
        value: (row, col) => (row === T ? flow.total[col] : col > row ? null : flow.byLossTerm[row * T + col]),
        color,
        rowLabels: [...flow.targets.map((y, t) => `J(${t + 1}) ${showCharacter(y)}`), 'γ(k)'],
        colLabels: flow.inputs.map(showCharacter),
        cellWidth: CELL,
        cellHeight: CELL,
        labelWidth: 64,
        selected: slot.selected,
      });
    }
  }

  /** The numbers of the selected cell, and the equation behind them. */
  private describe(slot: Slot): void {
    const flow = slot.flow;
    const cell = slot.selected;
    if (!flow || !cell) return;
    const T = flow.steps;
    const k = cell.col + 1;
    const x = showCharacter(flow.inputs[cell.col]);
    if (cell.row === T) {
      this.readout.textContent = `‖γ(${k})‖ = ‖Σₜ ∂J(t)/∂h(${k})‖ = ${formatNumber(flow.total[cell.col])}: the one summed vector BPTT carries back to step ${k} (input ${x}), Trick 2.`;
      return;
    }
    const t = cell.row + 1;
    if (k > t) {
      this.readout.textContent = `J(${t}) does not depend on h(${k}): step ${k} comes after it, so ∂J(${t})/∂h(${k}) = 0.`;
      return;
    }
    const norm = flow.byLossTerm[cell.row * T + cell.col];
    const local = flow.byLossTerm[cell.row * T + cell.row];
    const hops = t - k;
    this.readout.textContent =
      hops === 0
        ? `‖γ_${t}(${t})‖ = ‖∂J(${t})/∂h(${t})‖ = ${formatNumber(norm)}: computed locally, Uᵀ(ŷ(${t}) − y(${t})), from (2.1) and (3.1)–(3.2); J(${t}) = ${formatNumber(flow.losses[cell.row])} nats for ${showCharacter(flow.targets[cell.row])}.`
        : `‖γ_${t}(${k})‖ = ‖∂J(${t})/∂h(${k})‖ = ${formatNumber(norm)}, reached from γ_${t}(${t}) (${formatNumber(local)}) by ${hops} step${hops === 1 ? '' : 's'} of ${STEP_BACK[flow.cell]}: a factor ${formatNumber(norm / local)}; input at step ${k}: ${x}.`;
  }
}

/** How γ_t goes back one step, per cell. */
const STEP_BACK: Record<FlowMessage['cell'], string> = {
  rnn: "(6.2) γ_t(k−1) = W_hᵀ (γ_t(k) ∘ σ'(z(k)))",
  lstm: "the LSTM's backward step (L.5)–(L.11), its (6.2): γ_t(k−1) = W_hᵀ dz(k), with κ = ∂J/∂c carried back beside γ (docs/derivations/lstm.md)",
  gru: "the GRU's (6.2), (G.10) γ_t(k−1) = W_hᵀ dq(k) + γ_t(k) ∘ u(k) (docs/derivations/gru.md)",
};

const clamp = (x: number, low: number, high: number) => Math.min(high, Math.max(low, x));
