/** The sampler panel and the samples streamed during training. */
import type { SampleRequest } from '../protocol.js';

export class SamplesView {
  private readonly form: HTMLFormElement;
  private readonly list: HTMLElement;
  private readonly stream: HTMLElement;
  private readonly streamStep: HTMLElement;

  constructor(root: HTMLElement, onSample: (request: SampleRequest) => void, onExplain: (request: SampleRequest) => void) {
    this.form = root.querySelector('#sampler')!;
    this.list = root.querySelector('#sample-list')!;
    this.stream = root.querySelector('#stream-list')!;
    this.streamStep = root.querySelector('#stream-step')!;
    root.querySelector('#sample')!.addEventListener('click', () => onSample(this.request()));
    root.querySelector('#explain')!.addEventListener('click', () => onExplain({ ...this.request(), count: 1 }));
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      onSample(this.request());
    });
  }

  /** The panel's settings. */
  request(): SampleRequest {
    const field = (name: string) => this.form.elements.namedItem(name) as HTMLInputElement;
    const number = (name: string, fallback: number) => (Number.isFinite(field(name).valueAsNumber) ? field(name).valueAsNumber : fallback);
    return {
      prime: field('prime').value,
      temperature: number('temperature', 0.8),
      topK: Math.max(0, Math.round(number('topK', 0))),
      count: Math.min(50, Math.max(1, Math.round(number('count', 10)))),
      seed: Math.max(0, Math.round(number('seed', 1))),
      novel: field('novel').checked,
    };
  }

  /** Forget the last model's samples (a new or loaded model). */
  clear(): void {
    this.list.replaceChildren();
    this.stream.replaceChildren();
    this.streamStep.textContent = '';
  }

  show(samples: string[], streamed: boolean, atStep: number): void {
    const target = streamed ? this.stream : this.list;
    target.replaceChildren(...samples.map((text) => Object.assign(document.createElement('li'), { textContent: text })));
    if (streamed) this.streamStep.textContent = `after ${atStep} steps (temperature and prime from the panel)`;
  }
}
