/**
 * Inside a sample: each character with its probability and alternatives, and
 * the top layer's hidden state per character as a heat map (rows: hidden
 * units, columns: characters). The numbers come from the library's
 * explainSample().
 */
import type { Explanation } from '../../../src/index.js';
import { divergingColor, drawHeatmap, formatNumber, probabilityColor, showCharacter } from './heatmap.js';

export class InsideView {
  private readonly tokens: HTMLElement;
  private readonly readout: HTMLElement;
  private readonly canvas: HTMLCanvasElement;

  constructor(root: HTMLElement) {
    this.tokens = root.querySelector('#inside-tokens')!;
    this.readout = root.querySelector('#inside-readout')!;
    this.canvas = root.querySelector('#inside-hidden')!;
  }

  /** Forget the last model's explanation. */
  clear(): void {
    this.tokens.replaceChildren();
    this.readout.textContent = '';
    this.canvas.width = this.canvas.height = 0;
  }

  /** `novel`: the text is not a line of the training data. */
  show(sample: Explanation, novel: boolean): void {
    const describe = (i: number) => {
      const token = sample.tokens[i];
      const alternatives = token.alternatives.map((a) => `${showCharacter(a.text)} ${formatNumber(a.probability)}`).join(', ');
      this.readout.textContent = `${i < sample.prime.length ? 'prime' : 'drawn'} ${showCharacter(token.text)}: ŷ = ${formatNumber(token.probability)} (log ${formatNumber(token.logProbability)}); most likely: ${alternatives}`;
    };
    this.tokens.replaceChildren(
      ...sample.tokens.map((token, i) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'token';
        button.textContent = showCharacter(token.text);
        button.style.background = probabilityColor(token.probability);
        button.setAttribute('aria-label', `${showCharacter(token.text)}, probability ${formatNumber(token.probability)}`);
        button.addEventListener('mouseenter', () => describe(i));
        button.addEventListener('focus', () => describe(i));
        return button;
      }),
    );
    this.readout.dataset.novel = String(novel);
    this.readout.textContent = `${JSON.stringify(sample.prime + sample.text)} (${novel ? 'novel: not a line of the training data' : 'a line of the training data'}): log-probability ${formatNumber(sample.logProbability)}, ${formatNumber(sample.natsPerToken)} nats per character.`;
    const H = sample.tokens[0]?.hidden.length ?? 0;
    let limit = 0;
    for (const token of sample.tokens) for (const value of token.hidden) limit = Math.max(limit, Math.abs(value));
    drawHeatmap(this.canvas, {
      rows: H,
      cols: sample.tokens.length,
      value: (row, col) => sample.tokens[col].hidden[row],
      color: divergingColor(limit),
      rowLabels: Array.from({ length: H }, (_, i) => `h${i}`),
      colLabels: sample.tokens.map((t) => showCharacter(t.text)),
      cellWidth: 22,
      cellHeight: Math.max(2, Math.min(12, Math.floor(360 / Math.max(1, H)))),
      labelWidth: 36,
    });
  }
}
