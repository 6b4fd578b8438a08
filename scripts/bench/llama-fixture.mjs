// The Llama-shaped benchmark's random checkpoint: SmolLM2-135M's config.json (@peft/models-llama's SMOLLM2_135M_CONFIG:
// 30 layers × 576, 9 heads, 3 key/value heads, FFN 1,536, vocab 49,152, tied, rope_theta 100,000, rms_norm_eps 1e-5)
// with HF init values, F32 (~540 MB), written once by the package's fixture writer under the git-ignored
// test-output/bench-fixtures/ (PEFT_BENCH_FIXTURES names another folder). Both sides of the step read this folder.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LLAMA_HF_INIT_VALUES, SMOLLM2_135M_CONFIG, writeRandomLlamaCheckpoint } from '@peft/models-llama';

const root = process.env.PEFT_BENCH_FIXTURES
  ? `${process.env.PEFT_BENCH_FIXTURES.replace(/\/$/, '')}/`
  : fileURLToPath(new URL('../../test-output/bench-fixtures/', import.meta.url));

/** The folder of the SmolLM2-135M-shaped checkpoint (`layers` fewer layers for a quick run). */
export async function smolLm2Fixture(layers) {
  const n = layers ?? SMOLLM2_135M_CONFIG.num_hidden_layers;
  const dir = `${root}smollm2-135m-shaped${n === SMOLLM2_135M_CONFIG.num_hidden_layers ? '' : `-${n}l`}`;
  if (!existsSync(`${dir}/model.safetensors`)) {
    await writeRandomLlamaCheckpoint(dir, { ...SMOLLM2_135M_CONFIG, num_hidden_layers: n, torch_dtype: 'float32' }, LLAMA_HF_INIT_VALUES);
  }
  return dir;
}

// `node scripts/bench/llama-fixture.mjs [layers]` writes it and prints the folder
if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await smolLm2Fixture(process.argv[2] ? +process.argv[2] : undefined));
