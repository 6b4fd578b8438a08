import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { toFileSystemError, writeFileAtomic } from '@peft/core';
import { DataFormatError } from '../errors.js';

/**
 * An append-only JSON-lines log. Reading tolerates what a kill or a full disk leaves: a torn last line is dropped (and
 * reported through `warn`); a bad line before the last is corruption, a {@link DataFormatError} naming file and line.
 */
export class JsonlLog {
  constructor(
    readonly path: string,
    private readonly warn: (line: string) => void = () => undefined,
  ) {}
  /** Starts the log empty. */
  reset(): void {
    try {
      writeFileSync(this.path, '');
    } catch (e) {
      throw toFileSystemError(e, this.path, 'write');
    }
  }
  write(record: Record<string, unknown>): void {
    try {
      appendFileSync(this.path, JSON.stringify(record) + '\n');
    } catch (e) {
      throw toFileSystemError(e, this.path, 'append to');
    }
  }
  read(): Record<string, unknown>[] {
    if (!existsSync(this.path)) return [];
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      throw toFileSystemError(e, this.path, 'read');
    }
    const lines = text.split('\n');
    const records: Record<string, unknown>[] = [];
    for (const [i, line] of lines.entries()) {
      if (!line.trim()) continue;
      try {
        const r: unknown = JSON.parse(line);
        if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new Error('not a JSON object');
        records.push(r as Record<string, unknown>);
      } catch (e) {
        const last = lines.slice(i + 1).every((l) => !l.trim());
        if (last && !text.endsWith('\n')) {
          this.warn(`${this.path}:${i + 1}: dropped a torn last line (${line.length} bytes; a kill or a full disk cut it)`);
          continue;
        }
        throw new DataFormatError(this.path, i + 1, `not a JSON object (${(e as Error).message}); the log is corrupt`);
      }
    }
    return records;
  }
  /** Keeps only records whose `step` is ≤ `step` (after a resume, the steps past the checkpoint are redone), atomically. */
  async truncateAfter(step: number): Promise<void> {
    const keep = this.read().filter((r) => typeof r.step !== 'number' || r.step <= step);
    await writeFileAtomic(this.path, keep.map((r) => JSON.stringify(r) + '\n').join(''));
  }
}
