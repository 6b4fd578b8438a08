/// <reference lib="dom" />
// The live training-loss chart of the training page (uPlot: a small, maintained canvas chart made for series that
// grow point by point).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export class LossChart {
  readonly #plot: uPlot;
  readonly #steps: number[] = [];
  readonly #losses: number[] = [];

  constructor(container: HTMLElement, width = 640, height = 260) {
    this.#plot = new uPlot(
      {
        width,
        height,
        scales: { x: { time: false } },
        axes: [
          { label: 'step', incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000] }, // whole steps only
          { label: 'training loss (nats per token)', size: 50 },
        ],
        series: [{}, { label: 'loss', stroke: '#1f77b4', width: 2 }],
        legend: { show: false },
      },
      [[], []],
      container,
    );
  }

  add(step: number, loss: number): void {
    this.#steps.push(step);
    this.#losses.push(loss);
    this.#plot.setData([this.#steps, this.#losses]);
  }

  clear(): void {
    this.#steps.length = 0;
    this.#losses.length = 0;
    this.#plot.setData([[], []]);
  }
}
