import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, FusedKernelNames } from '@peft/core';
import { registerBlasKernels } from '@peft/blas';
import { LayerNorm } from '@peft/models-base';
await selectBackend({ only: ['wasm'] });
registerBlasKernels({ backends: ['wasm'] });
const ln = new LayerNorm(tf.randomNormal([768]), tf.randomNormal([768]), 1e-5);
const x = tf.randomNormal([8, 128, 768]);
const dy = tf.randomNormal([8, 128, 768]);
const fused = [FusedKernelNames.layerNorm, FusedKernelNames.layerNormGrad].map((n) => tf.getKernel(n, 'wasm'));
const run = () => tf.tidy(() => { const g = tf.grad((xx) => tf.sum(tf.mul(ln.apply(xx), dy)))(x); g.dataSync(); });
const time = () => { for (let i = 0; i < 3; i++) run(); const ts = []; for (let i = 0; i < 21; i++) { const t0 = performance.now(); run(); ts.push(performance.now() - t0); } return ts.sort((a, b) => a - b)[10]; };
for (let r = 0; r < 2; r++) {
  const a = time();
  fused.forEach((k) => tf.unregisterKernel(k.kernelName, 'wasm'));
  const b = time();
  fused.forEach((k) => tf.registerKernel(k));
  console.log(`fused ${a.toFixed(2)} ms, composed ${b.toFixed(2)} ms (fwd+bwd+loss)`);
}
