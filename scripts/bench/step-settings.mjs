// The backend and rematerialised blocks `peft train` would pick for a benchmark shape (@peft/recipes's memory plan,
// with wasm and cpu installed, @peft/blas loaded and the default memory budget), so the bench measures what a user
// gets.
import { totalmem } from 'node:os';
import { GPT2_MEDIUM_CONFIG, GPT2_SMALL_CONFIG, gpt2ParameterCount, parseGpt2Config } from '@peft/models-gpt2-roberta';
import { planTrainingBackend } from '@peft/recipes';

const CONFIGS = { small: GPT2_SMALL_CONFIG, medium: GPT2_MEDIUM_CONFIG };

/** { backend, remat, reason } for a GPT-2 shape { model: 'small' | 'medium', batch, seq, layers? }. */
/** `tiled: false` plans for the dense attention path (round 3: two [B, H, T, T] kept per block). */
export function stepSettings({ model, batch, seq, layers, tiled }) {
  const c = parseGpt2Config({ ...CONFIGS[model], ...(layers ? { n_layer: layers } : {}) });
  const shape = { family: 'nlg', layers: c.nLayer, hidden: c.nEmbd, heads: c.nHead, inner: c.nInner, vocab: c.vocabSize, parameters: gpt2ParameterCount(c), batch, seq };
  const budget = Number(process.env.PEFT_MEMORY_BUDGET_GB) > 0 ? Number(process.env.PEFT_MEMORY_BUDGET_GB) * 2 ** 30 : totalmem() / 2;
  const plan = planTrainingBackend(shape, { installed: ['wasm', 'cpu'], nativeKernels: true, budget, ...(tiled === false ? { tiledAttention: false } : {}) });
  return { backend: plan.backend, remat: plan.rematerialised, reason: plan.reason };
}

/** The same for the SmolLM2-135M-shaped Llama step { batch, seq, layers? } (scripts/bench/llama-step.mjs). */
export async function llamaStepSettings({ batch, seq, layers }) {
  const { SMOLLM2_135M_CONFIG, llamaParameterCount, parseLlamaConfig } = await import('@peft/models-llama');
  const c = parseLlamaConfig({ ...SMOLLM2_135M_CONFIG, ...(layers ? { num_hidden_layers: layers } : {}) });
  const shape = { family: 'nlg', layers: c.numLayers, hidden: c.hiddenSize, heads: c.numHeads, inner: c.intermediateSize, vocab: c.vocabSize, parameters: llamaParameterCount(c), batch, seq, gatedFfn: true };
  const budget = Number(process.env.PEFT_MEMORY_BUDGET_GB) > 0 ? Number(process.env.PEFT_MEMORY_BUDGET_GB) * 2 ** 30 : totalmem() / 2;
  const plan = planTrainingBackend(shape, { installed: ['wasm', 'cpu'], nativeKernels: true, budget });
  return { backend: plan.backend, remat: plan.rematerialised, reason: plan.reason };
}
