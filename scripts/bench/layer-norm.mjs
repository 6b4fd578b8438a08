// One GPT-2 LayerNorm ([8, 128, 768], γ and β frozen) forward and backward, through @peft/core's fused PeftLayerNorm +
// PeftLayerNormGrad (@peft/blas) and through the composition of tfjs ops they replace, alternately on one backend.
// Each time covers tf.grad of sum(LayerNorm(x)·dy): the norm both ways plus the loss's Multiply and Sum.
// Usage: node scripts/bench/layer-norm.mjs [backend=wasm|cpu] [reps=21] [rounds=2]
// Prints one JSON line per round: { fused_ms, composed_ms, composed_over_fused } (medians).
import * as tf from '@tensorflow/tfjs-core';
import { FusedKernelNames, selectBackend } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';
import { LayerNorm } from '@peft/models-base';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const reps = +(args.reps ?? 21), rounds = +(args.rounds ?? 2);
const choice = await selectBackend({ only: [args.backend ?? 'wasm'] });
registerBlasKernels({ backends: [choice.backend] });
const ln = new LayerNorm(tf.randomNormal([768]), tf.randomNormal([768]), 1e-5);
const x = tf.randomNormal([8, 128, 768]);
const dy = tf.randomNormal([8, 128, 768]);
const fused = [FusedKernelNames.layerNorm, FusedKernelNames.layerNormGrad].map((n) => tf.getKernel(n, choice.backend));
if (fused.some((k) => !k)) throw new Error(`@peft/blas registered no PeftLayerNorm on ${choice.backend}`);
const run = () => tf.tidy(() => {
  tf.grad((xx) => tf.sum(tf.mul(ln.apply(xx), dy)))(x).dataSync();
});
const median = () => {
  for (let i = 0; i < 3; i++) run();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    run();
    ts.push(performance.now() - t0);
  }
  return ts.sort((a, b) => a - b)[reps >> 1];
};
for (let r = 0; r < rounds; r++) {
  const fusedMs = median();
  fused.forEach((k) => tf.unregisterKernel(k.kernelName, choice.backend));
  const composedMs = median();
  fused.forEach((k) => tf.registerKernel(k));
  console.log(JSON.stringify({ backend: choice.backend, fused_ms: +fusedMs.toFixed(2), composed_ms: +composedMs.toFixed(2), composed_over_fused: +(composedMs / fusedMs).toFixed(2) }));
}
process.exit(0);
