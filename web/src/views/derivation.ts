/**
 * The derivation, live: one short line walked through the seed's equations
 * on the current weights, forward (1.1)–(3.3) then backward from t = T down
 * to 1, (5.2) and (6.2). Every number is a value derive()
 * (src/model/derivation.ts) computed with the training functions; selecting
 * one shows its equation with the numbers in, and the line of code that
 * computed it (read from the sources the page is built from).
 *
 * Keyboard: each table is one tab stop; the arrow keys move between values,
 * and the selected value's explanation is read out (aria-live).
 */
import type { DerivedStep } from '../../../src/index.js';
import type { DerivationMessage } from '../protocol.js';
import { formatNumber, showCharacter } from './heatmap.js';
import derivationSource from '../../../src/model/derivation.ts?raw';

/** The sources of src/nn, by path: where the view finds the function that computed a value. */
const NN_SOURCES = Object.fromEntries(
  Object.entries(import.meta.glob('../../../src/nn/*.ts', { query: '?raw', import: 'default', eager: true }) as Record<string, string>).map(([path, text]) => [
    path.replace(/^(\.\.\/)+/, ''),
    text,
  ]),
);

/** The library function that computes each kind of value (called from src/model/derivation.ts or the cell's part of it). */
const CODE: Record<string, string> = {
  inputHalf: 'inputPreactivation',
  z: 'recurrentPreactivation',
  h: 'activationForward',
  theta: 'affineForward',
  yHat: 'softmaxCrossEntropyForward',
  dTheta: 'softmaxCrossEntropyBackward',
  local: 'affineBackward',
  gamma: 'k.add',
  dz: 'rnnCellBackwardStep',
  dWh: 'recurrentWeightGradient',
  gates: 'lstmCellForward',
  lstmBackward: 'lstmCellBackwardStep',
};

/**
 * "file:line  text" of the call in derive(), or in the cell's own part of the walk (its type's
 * `derivation` in src/nn/*-cell.ts), and of the definition of `fn` in src/nn (wherever it lives).
 */
function codeLines(fn: string): string {
  const lines = (text: string) => text.split('\n');
  const found: string[] = [];
  const call = lines(derivationSource).findIndex((line) => line.includes(`${fn}(`));
  if (call >= 0) found.push(`src/model/derivation.ts:${call + 1}  ${lines(derivationSource)[call].trim()}`);
  for (const [path, text] of Object.entries(NN_SOURCES)) {
    const walk = lines(text).findIndex((line) => /^\s+derivation[:(]/.test(line));
    const inWalk = walk < 0 || call >= 0 ? -1 : lines(text).findIndex((line, i) => i > walk && line.includes(`${fn}(`));
    if (inWalk >= 0) found.push(`${path}:${inWalk + 1}  ${lines(text)[inWalk].trim()}`);
  }
  for (const [path, text] of Object.entries(NN_SOURCES)) {
    const definition = lines(text).findIndex((line) => line.startsWith(`export function ${fn}(`));
    if (definition >= 0) found.push(`${path}:${definition + 1}  ${lines(text)[definition].trim().replace(/\{$/, '')}`);
  }
  return found.join('\n');
}

interface Cell {
  text: string;
  value?: number;
  /** The readout: equation with numbers, then code. */
  explain?: () => string;
  key?: keyof typeof CODE;
  label: string;
}

export class DerivationView {
  private readonly status: HTMLElement;
  private readonly forward: HTMLTableElement;
  private readonly backward: HTMLTableElement;
  private readonly check: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly unit: HTMLInputElement;
  private readonly column: HTMLInputElement;
  private last: DerivationMessage | null = null;

  private readonly switchButton: HTMLButtonElement;

  constructor(root: HTMLElement, onWalk: (text: string) => void, onSwitch: () => void) {
    this.switchButton = root.querySelector('#derive-switch')!;
    this.switchButton.addEventListener('click', onSwitch);
    this.status = root.querySelector('#derive-status')!;
    this.forward = root.querySelector('#derive-forward')!;
    this.backward = root.querySelector('#derive-backward')!;
    this.check = root.querySelector('#derive-check')!;
    this.detail = root.querySelector('#derive-detail')!;
    this.unit = root.querySelector('#derive-unit')!;
    this.column = root.querySelector('#derive-column')!;
    const text = root.querySelector<HTMLInputElement>('#derive-text')!;
    root.querySelector('#derive-run')!.addEventListener('click', () => onWalk(text.value));
    text.addEventListener('change', () => onWalk(text.value));
    for (const input of [this.unit, this.column]) input.addEventListener('change', () => this.last && this.show(this.last));
    for (const table of [this.forward, this.backward]) table.addEventListener('keydown', (event) => this.move(table, event));
  }

  show(message: DerivationMessage): void {
    this.last = message;
    this.switchButton.hidden = !('unavailable' in message);
    if ('unavailable' in message) {
      this.status.textContent = message.unavailable;
      this.forward.replaceChildren();
      this.backward.replaceChildren();
      this.check.textContent = '';
      return;
    }
    const { derivation, inputs, targets, vocabulary, activation } = message;
    const steps = derivation.steps;
    const T = steps.length;
    const H = steps[0].h.length;
    const i = clamp(Math.round(this.unit.valueAsNumber || 0), 0, H - 1);
    const j = clamp(Math.round(this.column.valueAsNumber || 0), 0, H - 1);
    this.unit.max = this.column.max = String(H - 1);
    this.unit.value = String(i);
    this.column.value = String(j);
    const f = formatNumber;
    const ch = (text: string) => `'${showCharacter(text)}'`;
    const sigmaPrime = activation === 'sigmoid' ? "σ'(z) = h(1 − h)" : activation === 'tanh' ? "tanh'(z) = 1 − h²" : "relu'(z) = [h > 0]";
    this.status.textContent = `${message.model}${message.atStep > 0 ? `, after ${message.atStep} steps` : ''}: T = ${T} steps, fed ⏎${inputs.slice(1).join('')} and predicting ${targets.map(showCharacter).join('')}. Vectors show unit i = ${i}; θ and ŷ their entry for the target y(t).`;

    const lstm = message.cell === 'lstm';
    const G = steps[0].dz.length; // H, or 4H for the LSTM's gates
    // The W_h entry the (5.2) column follows: row i of the RNN; for the LSTM, unit i's forget-gate row.
    const row = lstm ? H + i : i;
    const rowLabel = lstm ? `f${i}` : String(i);
    const gate = (values: Float64Array, which: number) => values[which * H + i];
    const GATES = ['i', 'f', 'g', 'o'] as const;
    const blank = (): Cell => ({ text: '', label: '' });

    /** The cell's own forward columns: the RNN's (1.1)–(1.2), or the LSTM's (L.2)–(L.4). */
    const cellForward = (s: DerivedStep, n: number): Cell[] => {
      if (!lstm) {
        const recurrent = s.z[i] - s.inputHalf[i];
        return [
          {
            text: f(s.z[i]),
            value: s.z[i],
            key: 'z',
            label: `z(${n})[${i}]`,
            explain: () =>
              `(1.1) z(t) = W_h·h(t−1) + W_x·x(t) + b₁\nz(${n})[${i}] = (W_h·h(${n - 1}))[${i}] + (W_x·x(${n}) + b₁)[${i}] = ${f(recurrent)} + ${f(s.inputHalf[i])} = ${f(s.z[i])}`,
          },
          {
            text: f(s.h[i]),
            value: s.h[i],
            key: 'h',
            label: `h(${n})[${i}]`,
            explain: () => `(1.2) h(t) = σ(z(t)), σ the ${activation}\nh(${n})[${i}] = σ(${f(s.z[i])}) = ${f(s.h[i])}`,
          },
        ];
      }
      const g = s.gates!;
      const [gi, gf, gg, go] = [0, 1, 2, 3].map((which) => gate(g, which));
      return [
        ...GATES.map((name, which): Cell => ({
          text: f(gate(g, which)),
          value: gate(g, which),
          key: 'gates',
          label: `${name}(${n})[${i}]`,
          explain: () =>
            `(L.1) z(t) = W_h·h(t−1) + W_x·x(t) + b₁ = [z_i; z_f; z_g; z_o]   (4H = ${G} entries)\n(L.2) i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o)\n` +
            `${name}(${n})[${i}] = ${name === 'g' ? 'tanh' : 'σ'}(z_${name}[${i}]) = ${f(gate(g, which))}, where the input half (W_x·x(${n}) + b₁) of z_${name}[${i}] is ${f(gate(s.inputHalf, which))}`,
        })),
        {
          text: f(s.c![i]),
          value: s.c![i],
          key: 'gates',
          label: `c(${n})[${i}]`,
          explain: () => `(L.3) c(t) = f ∘ c(t−1) + i ∘ g\nc(${n})[${i}] = ${f(gf)} × ${f(s.cPrev![i])} + ${f(gi)} × ${f(gg)} = ${f(s.c![i])}`,
        },
        {
          text: f(s.h[i]),
          value: s.h[i],
          key: 'gates',
          label: `h(${n})[${i}]`,
          explain: () => `(L.4) h(t) = o ∘ tanh(c(t))\nh(${n})[${i}] = ${f(go)} × tanh(${f(s.c![i])}) = ${f(s.h[i])}`,
        },
      ];
    };
    const cellForwardHeaders = lstm
      ? [...GATES.map((name) => `${name}(t)[${i}]${name === 'i' ? ' (L.2)' : ''}`), `c(t)[${i}] (L.3)`, `h(t)[${i}] (L.4)`]
      : [`z(t)[${i}] (1.1)`, `h(t)[${i}] (1.2)`];

    const forwardRows = steps.map((s, t): Cell[] => {
      const n = t + 1;
      const y = s.target;
      let sumExp = 0;
      const max = Math.max(...s.theta);
      for (const v of s.theta) sumExp += Math.exp(v - max);
      return [
        { text: String(n), label: `step ${n}` },
        {
          text: ch(inputs[t]),
          label: `x(${n})`,
          explain: () =>
            `x(${n}) = ${ch(inputs[t])}, token ${s.input}: ${message.derivation.gradients.embedding.length > 0 ? `its embedding row E[${s.input}] is the input vector` : 'a one-hot vector of size V'}; the target y(${n}) = ${ch(targets[t])} is the next character.`,
        },
        ...cellForward(s, n),
        {
          text: f(s.theta[y]),
          value: s.theta[y],
          key: 'theta',
          label: `θ(${n})[y]`,
          explain: () =>
            `(2.1) θ(t) = U·h(t) + b₂\nθ(${n})[${ch(targets[t])}] = Σ_j U[${y}, j]·h(${n})[j] + b₂[${y}] = ${f(s.theta[y])}   (${vocabulary.length} entries, one per token)`,
        },
        {
          text: f(s.yHat[y]),
          value: s.yHat[y],
          key: 'yHat',
          label: `ŷ(${n})[y]`,
          explain: () =>
            `(3.1) ŷ(t) = softmax(θ(t)) = exp θ / Σ_v exp θ_v\nŷ(${n})[${ch(targets[t])}] = exp(${f(s.theta[y])}) / Σ_v exp(θ_v) = exp(${f(s.theta[y] - max)}) / ${f(sumExp)} = ${f(s.yHat[y])}`,
        },
        {
          text: f(s.loss),
          value: s.loss,
          key: 'yHat',
          label: `J(${n})`,
          explain: () => `(3.2) J(t) = −log ŷ(t)[y(t)]\nJ(${n}) = −log ${f(s.yHat[y])} = ${f(s.loss)} nats`,
        },
      ];
    });
    const forwardHeaders = ['t', 'x(t)', ...cellForwardHeaders, 'θ(t)[y] (2.1)', 'ŷ(t)[y] (3.1)', 'J(t) (3.2)'];
    forwardRows.push([
      { text: 'Σ', label: 'sum' },
      ...Array.from({ length: forwardHeaders.length - 2 }, blank),
      {
        text: f(derivation.loss),
        value: derivation.loss,
        label: 'J',
        explain: () =>
          `(3.3) J = Σ_t J(t) = ${steps.map((s) => f(s.loss)).join(' + ')} = ${f(derivation.loss)} nats\nforward() on the same line, as training runs it: ${f(message.backward.loss)}`,
      },
    ]);
    this.fill(this.forward, forwardHeaders, forwardRows);

    /** The cell's own backward columns: the RNN's dz and (6.2), or the LSTM's κ, (L.6)–(L.9) and (L.11). */
    const cellBackward = (s: DerivedStep, n: number, t: number): Cell[] => {
      if (!lstm) {
        return [
          {
            text: f(s.dz[i]),
            value: s.dz[i],
            key: 'dz',
            label: `dz(${n})[${i}]`,
            explain: () =>
              `dz(t) = γ(t) ∘ σ'(z(t)),  ${sigmaPrime}   (5.1.1), (6.1.1)\ndz(${n})[${i}] = ${f(s.gamma[i])} × ${f(s.gamma[i] === 0 ? 0 : s.dz[i] / s.gamma[i])} = ${f(s.dz[i])}   (h(${n})[${i}] = ${f(s.h[i])})`,
          },
          {
            text: f(s.gammaPrev[i]),
            value: s.gammaPrev[i],
            key: 'dz',
            label: `γ(${n - 1})[${i}] carried`,
            explain: () =>
              `(6.2) γ(t−1) ← W_hᵀ (γ(t) ∘ σ'(z(t))) = W_hᵀ dz(t)\nγ(${n - 1})[${i}] carried = Σ_m W_h[m, ${i}]·dz(${n})[m] = ${f(s.gammaPrev[i])}${n === 1 ? '   (h(0) = 0 is a constant: training does not use it)' : ''}`,
          },
        ];
      }
      const g = s.gates!;
      const DZ: Record<(typeof GATES)[number], string> = {
        o: `(L.6) ∂J/∂o = γ(t) ∘ tanh(c(t)),  dz_o = ∂J/∂o ∘ o(1 − o)`,
        f: `(L.7) ∂J/∂f = κ(t) ∘ c(t−1),  dz_f = ∂J/∂f ∘ f(1 − f)`,
        i: `(L.8) ∂J/∂i = κ(t) ∘ g,  dz_i = ∂J/∂i ∘ i(1 − i)`,
        g: `(L.9) ∂J/∂g = κ(t) ∘ i,  dz_g = ∂J/∂g ∘ (1 − g²)`,
      };
      return [
        {
          text: f(s.kappaIn![i]),
          value: s.kappaIn![i],
          key: 'lstmBackward',
          label: `κ(${n})[${i}] from step ${n + 1}`,
          explain: () =>
            `(L.5) κ(t) = ∂J/∂c(t) = γ(t) ∘ o ∘ (1 − tanh²(c(t)))  [through h(t)]  +  κ(t+1) ∘ f(t+1)  [through c(t+1)]\nthe second part, carried back from step ${n + 1}: ${f(s.kappaIn![i])}${t + 1 === T ? '   (nothing comes after the last step)' : ''}`,
        },
        ...(['i', 'f', 'g', 'o'] as const).map((name, which): Cell => ({
          text: f(gate(s.dz, which)),
          value: gate(s.dz, which),
          key: 'lstmBackward',
          label: `dz_${name}(${n})[${i}]`,
          explain: () => `${DZ[name]}\ndz_${name}(${n})[${i}] = ${f(gate(s.dz, which))}   (${name}(${n})[${i}] = ${f(gate(g, which))})`,
        })),
        {
          text: f(s.kappaOut![i]),
          value: s.kappaOut![i],
          key: 'lstmBackward',
          label: `κ(${n})∘f(${n})[${i}]`,
          explain: () =>
            `(L.11) κ(t−1) += κ(t) ∘ f(t): the cell state's path back, one multiplication by the forget gate per step\nκ(${n})[${i}] × f(${n})[${i}] = ${f(s.kappaOut![i])}   (f = ${f(gate(g, 1))})`,
        },
        {
          text: f(s.gammaPrev[i]),
          value: s.gammaPrev[i],
          key: 'lstmBackward',
          label: `γ(${n - 1})[${i}] carried`,
          explain: () =>
            `(L.11) γ(t−1) += W_hᵀ dz(t), W_h (4H × H) over all four gates' dz\nγ(${n - 1})[${i}] carried = Σ_m W_h[m, ${i}]·dz(${n})[m] = ${f(s.gammaPrev[i])}`,
        },
      ];
    };
    const cellBackwardHeaders = lstm
      ? [`κ in [${i}] (L.5)`, ...GATES.map((name) => `dz_${name}[${i}]`), `κ∘f [${i}] (L.11)`, `γ(t−1)[${i}] (L.11)`]
      : [`dz(t)[${i}]`, `γ(t−1)[${i}] (6.2)`];
    const weightEquation = lstm ? '(L.10)' : '(5.2)';

    const backwardRows = [...steps.keys()].reverse().map((t): Cell[] => {
      const s = steps[t];
      const n = t + 1;
      const y = s.target;
      const carried = t + 1 < T ? steps[t + 1].gammaPrev[i] : 0;
      const norm = Math.hypot(...s.gamma);
      return [
        { text: String(n), label: `step ${n}` },
        {
          text: f(s.dTheta[y]),
          value: s.dTheta[y],
          key: 'dTheta',
          label: `dθ(${n})[y]`,
          explain: () =>
            `∂J/∂θ(t) = ŷ(t) − y(t)   (3.1)–(3.2): y is one-hot\ndθ(${n})[${ch(targets[t])}] = ${f(s.yHat[y])} − 1 = ${f(s.dTheta[y])}; every other entry v is ŷ(${n})[v] − 0`,
        },
        {
          text: f(s.local[i]),
          value: s.local[i],
          key: 'local',
          label: `γ_${n}(${n})[${i}]`,
          explain: () => `γ_t(t) = ∂J(t)/∂h(t) = Uᵀ dθ(t)   from (2.1)\nγ_${n}(${n})[${i}] = Σ_v U[v, ${i}]·dθ(${n})[v] = ${f(s.local[i])}`,
        },
        {
          text: f(s.gamma[i]),
          value: s.gamma[i],
          key: 'gamma',
          label: `γ(${n})[${i}]`,
          explain: () =>
            `γ(t) = γ_t(t) + γ carried back from step t + 1 by ${lstm ? '(L.11)' : '(6.2)'}   (Trick 2: one summed γ)\nγ(${n})[${i}] = ${f(s.local[i])} + ${f(carried)} = ${f(s.gamma[i])}${t + 1 === T ? '   (nothing comes after the last step)' : ''}`,
        },
        {
          text: f(norm),
          value: norm,
          key: 'gamma',
          label: `‖γ(${n})‖`,
          explain: () => `‖γ(${n})‖ = ${f(norm)}: the norm of all ${H} units of γ(${n}), the bottom row of the gradient-flow map for this line`,
        },
        ...cellBackward(s, n, t),
        {
          text: f(s.dWh[row * H + j]),
          value: s.dWh[row * H + j],
          key: 'dWh',
          label: `∂J/∂W_h(${n})[${rowLabel},${j}]`,
          explain: () =>
            `${weightEquation} ∂J/∂W_h(t) = dz(t)·h(t−1)ᵀ   (one step's term; (4.1) sums them)\n∂J/∂W_h(${n})[${rowLabel}, ${j}] = dz(${n})[${rowLabel}] × h(${n - 1})[${j}] = ${f(s.dz[row])} × ${f(s.hPrev[j])} = ${f(s.dWh[row * H + j])}`,
        },
      ];
    });
    const sum = derivation.gradients.Wh[row * H + j];
    const library = message.backward.Wh[row * H + j];
    const backwardHeaders = ['t', 'dθ(t)[y]', `γ_t(t)[${i}]`, `γ(t)[${i}]`, '‖γ(t)‖', ...cellBackwardHeaders, `∂J/∂W_h(t)[${rowLabel},${j}] ${weightEquation}`];
    backwardRows.push([
      { text: 'Σ', label: 'sum' },
      ...Array.from({ length: backwardHeaders.length - 2 }, blank),
      {
        text: f(sum),
        value: sum,
        key: 'dWh',
        label: `∂J/∂W_h[${rowLabel},${j}]`,
        explain: () =>
          `(4.1) ∂J/∂W_h = Σ_t ∂J/∂W_h(t)\n[${rowLabel}, ${j}] = ${steps.map((s) => f(s.dWh[row * H + j])).join(' + ')} = ${f(sum)}\nbackward() on the same line, as a training step computes it: ${f(library)}`,
      },
    ]);
    this.fill(this.backward, backwardHeaders, backwardRows);
    this.forward.closest('.derive-tables')!.setAttribute('data-cell', message.cell);

    let difference = 0;
    let largest = 0;
    derivation.gradients.Wh.forEach((v, k) => {
      difference = Math.max(difference, Math.abs(v - message.backward.Wh[k]));
      largest = Math.max(largest, Math.abs(message.backward.Wh[k]));
    });
    this.check.dataset.difference = String(difference / (largest || 1));
    this.check.textContent = `Σ_t ${weightEquation} over all ${G}×${H} entries against ∂J/∂W_h from the model's backward() on the same line: largest difference ${f(difference)} (relative ${f(difference / (largest || 1))}), J = ${f(derivation.loss)} against forward()'s ${f(message.backward.loss)}.`;
  }

  private fill(table: HTMLTableElement, headers: string[], rows: Cell[][]): void {
    const head = document.createElement('thead');
    head.append(row(headers.map((text) => Object.assign(document.createElement('th'), { scope: 'col', textContent: text }))));
    const body = document.createElement('tbody');
    let first = true;
    for (const cells of rows) {
      body.append(
        row(
          cells.map((cell) => {
            const td = document.createElement('td');
            if (!cell.explain) {
              td.textContent = cell.text;
              return td;
            }
            const button = document.createElement('button');
            button.type = 'button';
            button.className = 'value';
            button.textContent = cell.text;
            button.tabIndex = first ? 0 : -1; // one tab stop per table; arrows move (see move)
            first = false;
            if (cell.value !== undefined) button.dataset.value = String(cell.value);
            button.dataset.label = cell.label;
            button.setAttribute('aria-label', `${cell.label} = ${cell.text}`);
            const explain = () => {
              for (const other of Array.from(this.root().querySelectorAll('button.value[aria-pressed="true"]'))) other.setAttribute('aria-pressed', 'false');
              button.setAttribute('aria-pressed', 'true');
              this.detail.textContent = `${cell.explain!()}${cell.key ? `\n\ncomputed by\n${codeLines(CODE[cell.key])}` : ''}`;
            };
            button.addEventListener('click', explain);
            button.addEventListener('focus', explain);
            td.append(button);
            return td;
          }),
        ),
      );
    }
    table.replaceChildren(head, body);
  }

  private root(): HTMLElement {
    return this.forward.closest('section')!;
  }

  /** Arrow keys between the table's values (a roving tab stop). */
  private move(table: HTMLTableElement, event: KeyboardEvent): void {
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const move = moves[event.key];
    const current = (event.target as HTMLElement).closest('td');
    if (!move || !current) return;
    event.preventDefault();
    const rows = Array.from(table.tBodies[0].rows);
    let r = rows.indexOf(current.parentElement as HTMLTableRowElement);
    let c = current.cellIndex;
    for (;;) {
      r += move[0];
      c += move[1];
      if (r < 0 || r >= rows.length || c < 0 || c >= rows[r].cells.length) return;
      const target = rows[r].cells[c].querySelector<HTMLButtonElement>('button.value');
      if (target) {
        for (const button of Array.from(table.querySelectorAll<HTMLButtonElement>('button.value'))) button.tabIndex = -1;
        target.tabIndex = 0;
        target.focus();
        return;
      }
    }
  }
}

function row(cells: HTMLElement[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.append(...cells);
  return tr;
}

const clamp = (x: number, low: number, high: number) => Math.min(high, Math.max(low, x));
