import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { parseSafetensors } from '@peft/core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const cli = join(here, '../dist/cli.js');

describe('peft demo (what npm start runs)', () => {
  it('trains inducer + LoRA on the tiny GPT-2 and a WebNLG subset: loss ≥ 30 % lower, training-subset BLEU up, chart and report written', () => {
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
      // the adapter learned the examples it trained on: BLEU on them rises from (near) nothing
      const before = metrics['training-subset BLEU before training']!;
      const after = metrics['training-subset BLEU after training']!;
      process.stderr.write(`demo: training-subset BLEU ${before} → ${after} on ${metrics['training-subset entries']} entries; test BLEU ${metrics.BLEU}\n`);
      expect(before).toBeLessThan(1);
      expect(after).toBeGreaterThan(before + 5);
      expect(r.stderr).toMatch(/demo: BLEU on the \d+ training entries it fit: [\d.]+ before training → [\d.]+ after/);
      expect(r.stderr).toMatch(/test-set BLEU is near 0 by design/);
      expect(r.stderr).toMatch(/npx peft train webnlg --model gpt2/);
      const report = readFileSync(join(out, 'report.md'), 'utf8');
      expect(report).toMatch(/\| BLEU \|/);
      expect(report).toMatch(/\| training-subset BLEU after training \|/);
      expect(report).toMatch(/\| stored \(the adapter file; the paper's count\) \| 7,880 \|/);
      expect(report).toMatch(/\]\(loss\.svg\)/);
      expect(report).toMatch(/\]\(loss\.png\)/);
      const svg = readFileSync(join(out, 'loss.svg'), 'utf8');
      for (const t of ['optimizer step', 'Training loss', 'Validation perplexity', 'Learning rate', 'loss per step', 'validation perplexity']) expect(svg).toContain(`>${t}</text>`);
      expect(readFileSync(join(out, 'loss.png')).subarray(1, 4).toString()).toBe('PNG');
      expect(existsSync(join(out, 'adapter', 'adapter_config.json'))).toBe(true);
      expect(existsSync(`${out}.partial`)).toBe(false);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('peft train killed with kill -9 and rerun with --resume ends with the same checkpoint and adapter, byte for byte', async () => {
    const work = mkdtempSync(join(tmpdir(), 'peft-resume-'));
    const tiny = join(here, '../../../test-fixtures/tiny-gpt2');
    const args = (out: string): string[] => [
      cli, 'train', 'webnlg', '--model', tiny, '--out', out, '--max-train-examples', '32', '--max-valid-examples', '8',
      '--test-entries', '0', '--max-length', '72', '--max-steps', '30', '--batch-size', '8', '--lr', '2e-2', '--warmup', '5',
      '--checkpoint-every', '5', '--padding', 'batch', '--patience', '0', '--seed', '7',
    ];
    try {
      const a = spawnSync(process.execPath, args(join(work, 'a')), { encoding: 'utf8', cwd: work });
      expect(a.status, a.stderr.slice(-2000)).toBe(0);
      const b = join(work, 'b');
      const child = spawn(process.execPath, args(b), { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          if (/step 20\/30/.test(err)) child.kill('SIGKILL');
        });
        child.on('exit', (_c, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`not killed: ${err.slice(-2000)}`))));
      });
      expect(existsSync(`${b}.partial`)).toBe(true);
      expect(existsSync(b)).toBe(false);
      const r = spawnSync(process.execPath, [...args(b), '--resume'], { encoding: 'utf8', cwd: work });
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
      expect(r.stderr).toMatch(/resumed from step (1[0-9]|20)\n/);
      const tensors = (f: string): Record<string, Buffer> => {
        const buf = readFileSync(f);
        const p = parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
        return Object.fromEntries([...p.tensors].map(([k, e]) => [k, Buffer.from(e.data)]));
      };
      for (const f of ['checkpoint.safetensors', 'adapter/adapter_model.safetensors', 'adapter/task_embeddings.safetensors']) {
        const ta = tensors(join(work, 'a', f));
        const tb = tensors(join(b, f));
        expect(Object.keys(tb).sort()).toEqual(Object.keys(ta).sort());
        for (const k of Object.keys(ta)) expect(tb[k]!.equals(ta[k]!), `${f} ${k}`).toBe(true);
      }
      const steps = readFileSync(join(b, 'train.jsonl'), 'utf8').split('\n').filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; step: number }).filter((l) => l.type === 'step').map((l) => l.step);
      expect(steps).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
