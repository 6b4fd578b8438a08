// The DoRA adapters moved between @peft and Hugging Face PEFT: by the e2e test (against PEFT in a venv) and by the CI
// test (against the values that e2e run recorded in test/fixtures/peft-dora).
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadGpt2, loadRoberta, type Gpt2Model, type RobertaModel } from '@peft/models-gpt2-roberta';
import type { DoraOptions } from '../src/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
export const TINY = { gpt2: join(root, 'test-fixtures/tiny-gpt2'), roberta: join(root, 'test-fixtures/tiny-roberta') };
export const GOLDEN_DIR = fileURLToPath(new URL('./fixtures/peft-dora', import.meta.url));
export const IDS = { gpt2: [5, 100, 200, 300, 656, 17, 42, 9], roberta: [0, 31, 42, 7, 300, 118, 2] };
export const NUM_LABELS = 3;

export type Arch = 'gpt2' | 'roberta';

/** What the golden files keep of a logits vector: every 16th value (all of RoBERTa's 3), to 9 significant digits. */
export function goldenSample(logits: readonly number[]): number[] {
  return logits.filter((_, i) => i % 16 === 0).map((v) => Number(v.toPrecision(9)));
}
export type Model = Gpt2Model | RobertaModel;

export async function loadBase(arch: Arch): Promise<Model> {
  return arch === 'gpt2' ? loadGpt2(TINY.gpt2) : loadRoberta(TINY.roberta, { numLabels: NUM_LABELS, seed: 5 });
}

export function logitsOf(model: Model): number[] {
  return tf.tidy(() => {
    const ids = IDS[model.spec.architecture as Arch];
    const inputIds = tf.tensor2d([ids], [1, ids.length], 'int32');
    const hidden = model.forward({ inputIds }).hidden;
    return Array.from(('classify' in model ? model.classify(hidden) : model.logits(hidden)).dataSync());
  });
}

/** @peft → PEFT: adapters @peft writes (attached with seed 1, m set by a first pass, then `randomise(params, salt)`). */
export const OURS: { name: string; arch: Arch; dora: DoraOptions; salt: number }[] = [
  { name: 'gpt2 q,v (part of c_attn: k keeps ‖W_k‖)', arch: 'gpt2', dora: { sites: ['attn.q', 'attn.v'], rank: 4, alpha: 8 }, salt: 40 },
  { name: 'gpt2 every site, unequal ranks, rsLoRA', arch: 'gpt2', dora: { sites: ['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.in', 'ffn.out'], rank: { 'attn.q': 2, 'attn.k': 2, 'attn.v': 2, 'attn.o': 3, 'ffn.in': 4, 'ffn.out': 1 }, alpha: 6, rslora: true }, salt: 50 },
  { name: 'gpt2 layers [1], k only', arch: 'gpt2', dora: { sites: ['attn.k', 'ffn.out'], rank: 2, alpha: 4, layers: [1] }, salt: 60 },
  { name: 'roberta q,v + classification head', arch: 'roberta', dora: { sites: ['attn.q', 'attn.v'], rank: 4, alpha: 16 }, salt: 70 },
  { name: 'roberta six sites, per-layer r', arch: 'roberta', dora: { sites: ['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.in', 'ffn.out'], rank: 2, alpha: 4, layerRank: { '1.ffn.out': 3 } }, salt: 80 },
];

/** PEFT → @peft: adapters PEFT's save_pretrained writes (LoraConfig(use_dora=True, **config), random A, B and m). */
export const THEIRS: { name: string; slug: string; arch: Arch; config: Record<string, unknown> }[] = [
  { name: 'gpt2 c_attn + c_fc', slug: 'gpt2-c-attn-c-fc', arch: 'gpt2', config: { r: 2, lora_alpha: 4, target_modules: ['c_attn', 'c_fc'], fan_in_fan_out: true } },
  { name: 'gpt2 every module, rank_pattern, rsLoRA', slug: 'gpt2-all-rslora', arch: 'gpt2', config: { r: 2, lora_alpha: 8, target_modules: ['c_attn', 'c_proj', 'c_fc'], rank_pattern: { 'mlp.c_proj': 3 }, use_rslora: true, fan_in_fan_out: true } },
  { name: 'roberta SEQ_CLS query,value (head in modules_to_save)', slug: 'roberta-qv-head', arch: 'roberta', config: { r: 4, lora_alpha: 16, target_modules: ['query', 'value'] } },
];
