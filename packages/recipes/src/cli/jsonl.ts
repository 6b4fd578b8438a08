import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

/** An append-only JSON-lines log. */
export class JsonlLog {
  constructor(readonly path: string) {}
  write(record: Record<string, unknown>): void {
    appendFileSync(this.path, JSON.stringify(record) + '\n');
  }
  read(): Record<string, unknown>[] {
    if (!existsSync(this.path)) return [];
    return readFileSync(this.path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  /** Keeps only records whose `step` is ≤ `step` (after a resume, the steps past the checkpoint are redone). */
  truncateAfter(step: number): void {
    const keep = this.read().filter((r) => typeof r.step !== 'number' || r.step <= step);
    writeFileSync(this.path, keep.map((r) => JSON.stringify(r) + '\n').join(''));
  }
}
