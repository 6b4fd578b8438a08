import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const cli = join(here, '../dist/cli.js');

describe('peft demo (what npm start runs)', () => {
  it('trains inducer + LoRA on the tiny GPT-2 and a WebNLG subset: loss of the last 10 steps ≥ 30 % below the first 10, report written', () => {
    expect(existsSync(cli), 'run npm run build first').toBe(true);
    const work = mkdtempSync(join(tmpdir(), 'peft-demo-'));
    const out = join(work, 'run');
    try {
      const t0 = Date.now();
      const r = spawnSync(process.execPath, [cli, 'demo', '--out', out], { encoding: 'utf8', cwd: work });
      const seconds = (Date.now() - t0) / 1000;
      expect(r.status, r.stderr.slice(-3000)).toBe(0);
      const steps = readFileSync(join(out, 'train.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; step: number; loss: number })
        .filter((l) => l.type === 'step');
      expect(steps.length).toBeGreaterThanOrEqual(100);
      const mean = (xs: { loss: number }[]): number => xs.reduce((a, x) => a + x.loss, 0) / xs.length;
      const first = mean(steps.slice(0, 10));
      const last = mean(steps.slice(-10));
      process.stderr.write(`demo: ${steps.length} steps in ${seconds.toFixed(0)} s, loss ${first.toFixed(3)} → ${last.toFixed(3)}\n`);
      expect(last).toBeLessThanOrEqual(0.7 * first);
      const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, number>;
      for (const k of ['BLEU', 'METEOR', 'TER']) expect(Number.isFinite(metrics[k])).toBe(true);
      expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/\| BLEU \|/);
      expect(readFileSync(join(out, 'loss.png')).subarray(1, 4).toString()).toBe('PNG');
      expect(existsSync(join(out, 'adapter', 'adapter_config.json'))).toBe(true);
      expect(existsSync(`${out}.partial`)).toBe(false);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
