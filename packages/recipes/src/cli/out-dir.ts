import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { UsageError } from '../errors.js';

/**
 * A run's output folder, written as `<out>.partial` and renamed to `<out>` when the run succeeds, so a failed run leaves
 * no half-written output under the final name. A run killed while training keeps `<out>.partial` (its checkpoint) for
 * `--resume`; a run that fails on bad input before training removes it.
 */
export class OutputDir {
  readonly partial: string;
  private created = false;
  constructor(
    readonly final: string,
    readonly resume: boolean,
  ) {
    this.partial = `${final}.partial`;
  }
  open(): string {
    if (existsSync(this.final)) throw new UsageError(`${this.final} already exists; choose another --out or remove it`);
    if (this.resume) {
      if (!existsSync(this.partial)) throw new UsageError(`--resume: ${this.partial} does not exist (nothing to resume)`);
    } else {
      if (existsSync(this.partial)) {
        throw new UsageError(`${this.partial} exists (an interrupted run): add --resume to continue it, or remove it`);
      }
      mkdirSync(this.partial, { recursive: true });
      this.created = true;
    }
    return this.partial;
  }
  /** Removes the partial folder if this run created it (bad input found before any training). */
  discard(): void {
    if (this.created) rmSync(this.partial, { recursive: true, force: true });
  }
  commit(): void {
    renameSync(this.partial, this.final);
  }
}
