// Counts the floating-point work of every BatchMatMul the active backend runs: 2·batch·m·n·k per call, from the
// input shapes and transpose flags (the kernel is wrapped; the wrapper is removed by stop()).
import * as tf from '@tensorflow/tfjs-core';

export function countMatmulFlops(backendName) {
  const original = tf.getKernel('BatchMatMul', backendName);
  let flops = 0;
  tf.unregisterKernel('BatchMatMul', backendName);
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => {
      const { a, b } = args.inputs;
      const { transposeA, transposeB } = args.attrs;
      const ra = a.shape.length, rb = b.shape.length;
      const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
      const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
      const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
      const batch = Math.max(a.shape.slice(0, -2).reduce((x, y) => x * y, 1), b.shape.slice(0, -2).reduce((x, y) => x * y, 1));
      flops += 2 * batch * m * n * k;
      return original.kernelFunc(args);
    },
  });
  return {
    stop() {
      tf.unregisterKernel('BatchMatMul', backendName);
      tf.registerKernel(original);
      return flops;
    },
  };
}
