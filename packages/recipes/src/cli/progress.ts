import type { StepLog } from '../train/loop.js';

/**
 * Training progress on stderr: a bar redrawn in place on a TTY, plain lines (every `every` steps) otherwise.
 * Shows step, loss, lr, tokens/s and ETA.
 */
export class Progress {
  private readonly tty: boolean;
  private t0 = 0;
  private tokens = 0;
  private first = 0;
  private lastLine = 0;
  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly every = 10,
  ) {
    this.tty = Boolean(stream.isTTY);
  }
  update(l: StepLog): void {
    // rates are measured from the end of the first step seen (which also pays for warm-up and compilation)
    if (this.t0 === 0) {
      this.t0 = Date.now();
      this.first = l.step;
    } else this.tokens += l.tokens;
    const elapsed = (Date.now() - this.t0) / 1000;
    const done = l.step - this.first;
    const rate = elapsed > 0 && done > 0 ? `${Math.round(this.tokens / elapsed)} tok/s` : '– tok/s';
    const eta = done > 0 ? formatSeconds((elapsed / done) * (this.total - l.step)) : '?';
    const text = `step ${l.step}/${this.total} loss ${l.loss.toFixed(4)} lr ${l.lr.toExponential(2)} ${rate} ETA ${eta}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round((width * l.step) / Math.max(1, this.total));
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
      if (l.step >= this.total) this.stream.write('\n');
    } else if (l.step % this.every === 0 || l.step === 1 || l.step >= this.total || Date.now() - this.lastLine > 5000) {
      this.stream.write(`${text}\n`);
      this.lastLine = Date.now();
    }
  }
  note(text: string): void {
    this.stream.write(`${this.tty ? '\r\x1b[K' : ''}${text}\n`);
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}
