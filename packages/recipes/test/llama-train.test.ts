import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '../../..');
const cli = join(here, '../dist/cli.js');
const tinyLlama = join(repo, 'test-fixtures/tiny-llama');
const tinyGpt2 = join(repo, 'test-fixtures/tiny-gpt2');
const demoData = join(repo, 'packages/recipes/demo/data');
const work = mkdtempSync(join(tmpdir(), 'peft-llama-train-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function peft(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, PEFT_BACKEND: 'cpu' }, cwd: work });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The tensor names of a safetensors file (its JSON header). */
function tensorNames(file: string): string[] {
  const b = readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  return Object.keys(JSON.parse(b.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>).filter((k) => k !== '__metadata__').sort();
}

describe('peft train webnlg on the tiny Llama fixture (2 steps, the demo WebNLG subset)', () => {
  const out = join(work, 'llama-run');
  const adapter = join(out, 'adapter');
  const train = (): ReturnType<typeof peft> =>
    peft('train', 'webnlg', '--model', tinyLlama, '--preset', 'lora', '--data', demoData, '--out', out, '--max-steps', '2', '--batch-size', '2', '--test-entries', '2');
  let run: ReturnType<typeof peft> | undefined;

  it('--preset lora trains and writes a PEFT-layout adapter with Llama module names', () => {
    run = train();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/train webnlg: \d+ examples .*preset lora; parameters trained 3,584 /); // 2 layers × (q 8·64 + 64·8, v 8·64 + 32·8: 2 key/value heads of 16)
    const j = JSON.parse(run.stdout) as { steps: number; metrics: Record<string, number> };
    expect(j.steps).toBe(2);
    expect(j.metrics['test entries']).toBe(2);
    expect(Number.isFinite(j.metrics['validation perplexity (last)'])).toBe(true);
    const config = JSON.parse(readFileSync(join(adapter, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 8, lora_alpha: 16, fan_in_fan_out: false });
    expect(String(config.target_modules)).toContain('self_attn\\.q_proj|self_attn\\.v_proj');
    const names = tensorNames(join(adapter, 'adapter_model.safetensors'));
    expect(names).toEqual(
      [0, 1].flatMap((l) => ['q_proj', 'v_proj'].flatMap((p) => ['A', 'B'].map((f) => `base_model.model.model.layers.${l}.self_attn.${p}.lora_${f}.weight`))).sort(),
    );
    expect(names.some((n) => n.includes('model.layers.0.self_attn.q_proj'))).toBe(true);
    // the 16 WebNLG task tokens' rows of the (tied) embedding: added to the tokenizer and the model, trained and stored
    expect(tensorNames(join(adapter, 'task_embeddings.safetensors')).length).toBeGreaterThan(0);
    for (const f of ['metrics.json', 'report.md', 'train.jsonl', 'hypotheses.txt']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(readFileSync(join(out, 'hypotheses.txt'), 'utf8').split('\n').filter((l) => l.length > 0).length).toBeLessThanOrEqual(2);
  });

  it('peft eval and peft generate load the trained adapter back on the same --model', () => {
    expect(run?.code).toBe(0);
    const trained = JSON.parse(run!.stdout) as { metrics: Record<string, number> };
    const e = peft('eval', 'webnlg', '--model', tinyLlama, '--adapter', adapter, '--data', demoData, '--test-entries', '2');
    expect(e.code, e.stderr).toBe(0);
    const ej = JSON.parse(e.stdout) as Record<string, number>;
    // the saved adapter is the one validated last: the same perplexity, the same decoded test entries' scores
    expect(ej['validation perplexity']! / trained.metrics['validation perplexity (last)']!).toBeCloseTo(1, 5);
    expect(ej.TER).toBe(trained.metrics.TER);
    expect(ej['test entries']).toBe(2);
    const g = peft('generate', '--model', tinyLlama, '--adapter', adapter, '--triples', 'Alan_Bean | occupation | Test_pilot');
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout.trim().length).toBeGreaterThan(0);
    // an adapter trained on Llama does not load on GPT-2: the spec check names the field
    const other = peft('generate', '--model', tinyGpt2, '--adapter', adapter, '--triples', 'Alan_Bean | occupation | Test_pilot');
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/adapter_config\.json: field 'model_spec\./);
  });
});
