// The benchmarks' random checkpoints (HF layout, HF init values), written on first use under git-ignored
// test-fixtures/ folders: GPT-2-small-shaped (~500 MB), GPT-2-medium-shaped (~1.4 GB), RoBERTa-base-shaped (~500 MB).
// PEFT_BENCH_FIXTURES names another folder for them (the device kit writes them outside the repository).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  GPT2_MEDIUM_CONFIG,
  GPT2_SMALL_CONFIG,
  generateGpt2MediumShaped,
  generateGpt2SmallShaped,
  generateRobertaBaseShaped,
  writeRandomGpt2Checkpoint,
} from '@peft/models-gpt2-roberta';

const root = process.env.PEFT_BENCH_FIXTURES
  ? `${process.env.PEFT_BENCH_FIXTURES.replace(/\/$/, '')}/`
  : fileURLToPath(new URL('../../test-fixtures/', import.meta.url));

/** The shapes the benchmarks use, by name (GPT-2 small / medium as Hugging Face publishes them). */
export const GPT2_SHAPES = {
  small: { layers: 12, d: 768, heads: 12, config: GPT2_SMALL_CONFIG, generate: generateGpt2SmallShaped },
  medium: { layers: 24, d: 1024, heads: 16, config: GPT2_MEDIUM_CONFIG, generate: generateGpt2MediumShaped },
};

/**
 * The directory of a GPT-2-`size`-shaped checkpoint, optionally with another block count, width or head count
 * (`layers` alone may be given as a number).
 */
export async function gpt2Fixture(size = 'small', change = {}) {
  const shape = GPT2_SHAPES[size];
  if (!shape) throw new Error(`unknown GPT-2 shape '${size}' (small, medium)`);
  const c = typeof change === 'number' ? { layers: change } : change;
  const n = c.layers ?? shape.layers, d = c.embd ?? shape.d, h = c.heads ?? shape.heads;
  const own = n === shape.layers && d === shape.d && h === shape.heads;
  const dir = `${root}gpt2-${size}-shaped${n === shape.layers ? '' : `-${n}l`}${d === shape.d ? '' : `-${d}d`}${h === shape.heads ? '' : `-${h}h`}`;
  if (!existsSync(`${dir}/model.safetensors`)) {
    if (own) await shape.generate(dir);
    else await writeRandomGpt2Checkpoint(dir, { ...shape.config, n_layer: n, n_embd: d, n_head: h });
  }
  return dir;
}

/** The directory of a RoBERTa-base-shaped checkpoint with a 3-class (MNLI) head. */
export async function robertaFixture() {
  const dir = `${root}roberta-base-shaped`;
  if (!existsSync(`${dir}/model.safetensors`)) await generateRobertaBaseShaped(dir, { numLabels: 3 });
  return dir;
}
