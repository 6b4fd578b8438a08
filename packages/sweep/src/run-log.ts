import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/** The last `{type: 'step'}` record of a run's train.jsonl (read from the file's end), or null. */
export function lastStepRecord(path: string, tailBytes = 16_384): { step: number; loss: number } | null {
  if (!existsSync(path)) return null;
  let fd: number | undefined;
  try {
    const size = statSync(path).size;
    const n = Math.min(size, tailBytes);
    const buf = Buffer.alloc(n);
    fd = openSync(path, 'r');
    readSync(fd, buf, 0, n, size - n);
    const lines = buf.toString('utf8').split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i]!;
      if (!line.startsWith('{') || !line.endsWith('}')) continue; // a partly written or cut line
      try {
        const r = JSON.parse(line) as { type?: string; step?: unknown; loss?: unknown };
        if (r.type === 'step' && typeof r.step === 'number' && typeof r.loss === 'number') return { step: r.step, loss: r.loss };
      } catch {
        // a cut line at the start of the tail
      }
    }
    return null;
  } catch {
    return null; // removed or renamed while reading
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
