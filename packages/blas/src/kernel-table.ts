import { FusedKernelNames, fusedKernelRow, type KernelTableRow } from '@peft/core';
import type { BlasAddon } from './addon.js';
import { attentionTiledGradKernel, attentionTiledKernel, maskedSoftmaxGradKernel, maskedSoftmaxKernel } from './attention-kernels.js';
import { BinaryOp, binaryKernel } from './binary-kernels.js';
import { concatKernel, gatherKernel, identityKernel, padKernel, sliceKernel, splitKernel, tileKernel, transposeKernel } from './copy-kernels.js';
import { ElementwiseOp, elementwiseKernel, fusedGeluKernel } from './elementwise-kernels.js';
import { gemmKernel } from './gemm-kernel.js';
import { softmaxCrossEntropyGradKernel, softmaxCrossEntropyKernel } from './loss-kernels.js';
import { layerNormGradKernel, layerNormKernel } from './norm-kernels.js';
import { adamwKernel } from './optim-kernels.js';
import { dropoutMaskKernel } from './random-kernels.js';
import { reduceKernel } from './reduce-kernels.js';
import { maxKernel, softmaxKernel } from './row-kernels.js';
import { UNARY_KERNELS, unaryKernel } from './unary-kernels.js';

export type BlasBackend = 'wasm' | 'cpu';

/**
 * Every kernel @peft/blas registers into `backendName`, as one table (registered by @peft/core's KernelRegistry).
 * `wrap` rows replace tfjs's kernel of that name and fall back to it for what the addon cannot express; `kernelFunc`
 * rows are @peft/core's fused kernels, which tfjs does not have.
 */
export function blasKernelTable(backendName: BlasBackend, addon: BlasAddon): KernelTableRow[] {
  const b = backendName;
  return [
    { kernelName: 'BatchMatMul', wrap: (original) => gemmKernel(b, original, addon) },
    { kernelName: 'Tanh', wrap: (original) => elementwiseKernel(b, ElementwiseOp.tanh, addon, original) },
    { kernelName: 'Exp', wrap: (original) => elementwiseKernel(b, ElementwiseOp.exp, addon, original) },
    { kernelName: 'Sum', wrap: (original) => reduceKernel(b, false, original, addon) },
    { kernelName: 'Mean', wrap: (original) => reduceKernel(b, true, original, addon) },
    fusedKernelRow(FusedKernelNames.geluTanh, fusedGeluKernel(b, ElementwiseOp.geluTanh, addon)),
    fusedKernelRow(FusedKernelNames.geluTanhGrad, fusedGeluKernel(b, ElementwiseOp.geluTanhGrad, addon)),
    fusedKernelRow(FusedKernelNames.geluErf, fusedGeluKernel(b, ElementwiseOp.geluErf, addon)),
    fusedKernelRow(FusedKernelNames.geluErfGrad, fusedGeluKernel(b, ElementwiseOp.geluErfGrad, addon)),
    fusedKernelRow(FusedKernelNames.softmaxCrossEntropy, softmaxCrossEntropyKernel(b, addon)),
    fusedKernelRow(FusedKernelNames.softmaxCrossEntropyGrad, softmaxCrossEntropyGradKernel(b, addon)),
    fusedKernelRow(FusedKernelNames.layerNorm, layerNormKernel(b, addon)),
    fusedKernelRow(FusedKernelNames.layerNormGrad, layerNormGradKernel(b, addon)),
    fusedKernelRow(FusedKernelNames.maskedSoftmax, maskedSoftmaxKernel(b, addon)),
    fusedKernelRow(FusedKernelNames.maskedSoftmaxGrad, maskedSoftmaxGradKernel(b, addon)),
    fusedKernelRow(FusedKernelNames.dropoutMask, dropoutMaskKernel(b, addon)),
    fusedKernelRow(FusedKernelNames.attentionTiled, attentionTiledKernel(b, addon)),
    fusedKernelRow(FusedKernelNames.attentionTiledGrad, attentionTiledGradKernel(b, addon)),
    fusedKernelRow(FusedKernelNames.adamw, adamwKernel(b, addon)),
    // arithmetic, maps and row ops: tfjs-cpu runs them per element in JavaScript (broadcast ones through index
    // arithmetic), tfjs-wasm on one thread
    ...([['Add', BinaryOp.add], ['Sub', BinaryOp.sub], ['Multiply', BinaryOp.mul], ['RealDiv', BinaryOp.div]] as const).map(
      ([kernelName, op]): KernelTableRow => ({ kernelName, wrap: (original) => binaryKernel(b, op, original, addon) }),
    ),
    ...UNARY_KERNELS.map((kernelName, op): KernelTableRow => ({ kernelName, wrap: (original) => unaryKernel(b, op, original, addon) })),
    { kernelName: 'Softmax', wrap: (original) => softmaxKernel(b, original, addon) },
    { kernelName: 'Max', wrap: (original) => maxKernel(b, original, addon) },
    ...(b === 'wasm' ? [{ kernelName: 'Identity', wrap: identityKernel }] : []),
    { kernelName: 'SplitV', wrap: (original) => splitKernel(b, original, addon) },
    { kernelName: 'Tile', wrap: (original) => tileKernel(b, original, addon) },
    { kernelName: 'Slice', wrap: (original) => sliceKernel(b, original, addon) },
    // tfjs-wasm's GatherV2 walks one element at a time (25 ms for an embedding lookup of 2,048 rows of 576: 1–2% of a
    // step); rows are contiguous runs here
    { kernelName: 'GatherV2', wrap: (original) => gatherKernel(b, original) },
    // tfjs-wasm's Concat copies in JavaScript: the backward of GPT-2's q/k/v split ([8, 128, 768] × 3 along the last
    // axis) took 1.5 ms a call there, 0.7 ms here (scripts/bench/profile-step.mjs, by kernel)
    { kernelName: 'Concat', wrap: (original) => concatKernel(b, original, addon) },
    // tfjs-wasm transposes on one thread: the 118 head splits and merges of a GPT-2-small step took 24–31 ms there,
    // 17–19 ms here (scripts/bench/peft-step.mjs kernels=1, each kernel timed in the step)
    { kernelName: 'Transpose', wrap: (original) => transposeKernel(b, original, addon) },
    // tfjs-wasm pads natively already, as fast in the step (25 calls, 3 ms either way)
    ...(b === 'cpu' ? [{ kernelName: 'PadV2', wrap: (original) => padKernel(b, original, addon) }] satisfies KernelTableRow[] : []),
  ];
}
