// Counts the floating-point work of every matrix product the active backend runs: 2·batch·m·n·k per BatchMatMul, from
// the input shapes and transpose flags, and the products inside the tiled attention kernels (@peft/core's
// PeftAttentionTiled: Q·Kᵀ and P·V; its gradient: the scores again, dP, dQ, dK and dV — counted as the FLOP formula
// counts attention, 2 and 4 products of 2·B·H·n·m·p, causal or not). The kernels are wrapped; stop() removes the wrappers.
import * as tf from '@tensorflow/tfjs-core';

const size = (shape) => shape.reduce((x, y) => x * y, 1);

/** FLOPs of one call of each counted kernel, from its inputs and attributes. */
const COUNTERS = {
  BatchMatMul: ({ a, b }, { transposeA, transposeB }) => {
    const ra = a.shape.length, rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    return 2 * Math.max(size(a.shape.slice(0, -2)), size(b.shape.slice(0, -2))) * m * n * k;
  },
  // q [B, H, n, p], k [B, H, m, p]
  PeftAttentionTiled: ({ q, k }) => 2 * 2 * size(q.shape) * k.shape[2],
  PeftAttentionTiledGrad: ({ q, k }) => 4 * 2 * size(q.shape) * k.shape[2],
};

export function countMatmulFlops(backendName) {
  let flops = 0;
  const wrapped = [];
  for (const [name, count] of Object.entries(COUNTERS)) {
    const original = tf.getKernel(name, backendName);
    if (!original) continue;
    tf.unregisterKernel(name, backendName);
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => {
        flops += count(args.inputs, args.attrs);
        return original.kernelFunc(args);
      },
    });
    wrapped.push(original);
  }
  return {
    stop() {
      for (const original of wrapped) {
        tf.unregisterKernel(original.kernelName, backendName);
        tf.registerKernel(original);
      }
      return flops;
    },
  };
}
