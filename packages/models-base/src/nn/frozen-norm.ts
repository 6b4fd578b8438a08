import * as tf from '@tensorflow/tfjs-core';
import { FusedKernelNames, hasFusedKernel, runFusedKernel, runFusedKernelOutputs } from '@peft/core';
import { customOp } from './tidy.js';

/**
 * The custom op of a frozen normalisation over the last axis, LayerNorm (`centre`: μ = mean(x), then + β) or RMSNorm
 * (μ = 0, no β): x̂ = (x − μ)·r, r = 1/√(mean((x − μ)²) + eps), y = x̂·γ (+ β). The tape keeps only x̂ and r; the
 * backward pass is
 *   dx = r·(g − [centre]·mean(g) − x̂·mean(g·x̂)),   g = dy·γ
 * — differentiating through `moments` instead keeps about six [N, d] tensors and runs ~15 kernels. Where the backend
 * has @peft/core's fused `PeftLayerNorm` and `PeftLayerNormGrad` (@peft/blas), each way is one kernel; otherwise
 * tfjs ops (nine and eight for LayerNorm). γ and β get no gradient.
 */
export function frozenNorm(weight: tf.Tensor1D, bias: tf.Tensor1D | undefined, eps: number, centre: boolean): (x: tf.Tensor) => tf.Tensor {
  return customOp(([x], save) => {
    const fused = hasFusedKernel(FusedKernelNames.layerNorm) && hasFusedKernel(FusedKernelNames.layerNormGrad);
    const [y, normed, rstd] = fused
      ? runFusedKernelOutputs(FusedKernelNames.layerNorm, { x: x!, gamma: weight, ...(bias ? { beta: bias } : {}) }, { eps, centre })
      : composedNorm(x!, weight, bias, eps, centre);
    save([normed!, rstd!]);
    return {
      value: y!,
      gradFunc: (dy, [xh, r]) =>
        tf.tidy(() => {
          if (fused) return runFusedKernel(FusedKernelNames.layerNormGrad, { dy, normed: xh!, rstd: r!, gamma: weight }, { centre });
          const g = tf.mul(dy, weight); // [..., d]
          const meanGx = tf.mean(tf.mul(g, xh!), -1, true); // [..., 1]
          const centred = centre ? tf.sub(g, tf.mean(g, -1, true)) : g;
          return tf.mul(tf.sub(centred, tf.mul(xh!, meanGx)), r!);
        }),
    };
  });
}

/** [y, x̂, r [..., 1]] from tfjs ops (tf.moments' own steps, keeping x − μ for x̂ instead of computing it twice). */
function composedNorm(x: tf.Tensor, weight: tf.Tensor1D, bias: tf.Tensor1D | undefined, eps: number, centre: boolean): tf.Tensor[] {
  return tf.tidy(() => {
    const centred = centre ? tf.sub(x, tf.mean(x, -1, true)) : x;
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps));
    const normed = tf.mul(centred, rstd);
    const scaled = tf.mul(normed, weight);
    return [bias ? tf.add(scaled, bias) : scaled, normed, rstd];
  });
}
