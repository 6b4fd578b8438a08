import * as tf from '@tensorflow/tfjs-core';
import { BackendFeatures, ConfigError, FusedKernelNames, declareBackendFeature, withdrawBackendFeature } from '@peft/core';
import { loadAddon, type BlasAddon, type GemmName, type IsaName, type KernelInfo } from './addon.js';
import { BinaryOp, binaryKernel } from './binary-kernels.js';
import { concatKernel, gatherKernel, identityKernel, padKernel, sliceKernel, splitKernel, tileKernel, transposeKernel } from './copy-kernels.js';
import { ElementwiseOp, elementwiseKernel } from './elementwise-kernels.js';
import { gemmKernel } from './gemm-kernel.js';
import { maskedSoftmaxGradKernel, maskedSoftmaxKernel } from './attention-kernels.js';
import { softmaxCrossEntropyGradKernel, softmaxCrossEntropyKernel } from './loss-kernels.js';
import { dropoutMaskKernel } from './random-kernels.js';
import { reduceKernel } from './reduce-kernels.js';
import { maxKernel, softmaxKernel } from './row-kernels.js';
import { UNARY_KERNELS, unaryKernel } from './unary-kernels.js';

/**
 * @peft/blas: an optional accelerator for the TensorFlow.js `wasm` and `cpu` backends. It registers
 * - `BatchMatMul` as one batched GEMM — the addon's own blocked, packed GEMM (AVX2+FMA, NEON or baseline, picked by
 *   the CPU), or the system BLAS (OpenBLAS, Accelerate) where the build found one: every matmul form (transposed,
 *   batched, broadcast) at BLAS speed, where tfjs-wasm's XNNPACK path covers only the plain 2-D form and everything
 *   else falls to a naive loop at ~2 GFLOP/s;
 * - `Sum` and `Mean` over leading or trailing axes, vectorised and on all cores (no transpose first);
 * - `Tanh` and `Exp`, vectorised and on all cores, and @peft/core's fused kernels (`PeftGeluTanh`,
 *   `PeftGeluTanhGrad`), which the models use when present;
 * - on wasm, `Identity` without a copy and `SplitV` / `Tile` as native strided copies.
 * On wasm every kernel reads and writes the wasm heap in place. Anything a kernel cannot express goes to tfjs's own.
 */
export interface BlasStatus {
  readonly available: boolean;
  /** Why it is off, when it is. */
  readonly reason?: string;
  /** One line: the GEMM in use (and the one built in beside it), the vector path, the threads. */
  readonly config?: string;
  /** The GEMM that runs the products: the addon's own, or the system BLAS built in. */
  readonly gemm?: GemmName;
  /** The vector path of the own kernels: avx2 (AVX2+FMA), neon, or baseline. */
  readonly isa?: IsaName;
  /** The system BLAS built in beside the own GEMM, or null where the build found none. */
  readonly systemGemm?: 'openblas' | 'accelerate' | null;
  /** Backends whose kernels are now the addon's. */
  readonly registered: readonly string[];
  /** The kernel names registered into those backends. */
  readonly kernels?: readonly string[];
}

type KernelConfig = NonNullable<ReturnType<typeof tf.getKernel>>;
/** tfjs's own kernels, by `${kernel}/${backend}`, to fall back to and to restore. */
const originals = new Map<string, KernelConfig>();
/** Backends this package declared @peft/core backend features for. */
const featured = new Set<string>();
/** Kernel names tfjs does not have (the fused ones), by `${kernel}/${backend}`. */
const added = new Map<string, { kernelName: string; backendName: string }>();

function replaceKernel(kernelName: string, backendName: string, make: (original: tf.KernelFunc) => tf.KernelFunc): boolean {
  const key = `${kernelName}/${backendName}`;
  const original = originals.get(key) ?? tf.getKernel(kernelName, backendName);
  if (!original) return false; // that backend's package is not imported
  originals.set(key, original);
  tf.unregisterKernel(kernelName, backendName); // ours or tfjs's, whichever is registered now
  tf.registerKernel({
    kernelName,
    backendName,
    ...(original.setupFunc ? { setupFunc: original.setupFunc } : {}),
    kernelFunc: make(original.kernelFunc),
  });
  return true;
}

function addKernel(kernelName: string, backendName: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ kernelName, backendName, kernelFunc });
  added.set(`${kernelName}/${backendName}`, { kernelName, backendName });
}

function registerInto(backendName: 'wasm' | 'cpu', addon: BlasAddon): string[] {
  if (!replaceKernel('BatchMatMul', backendName, (original) => gemmKernel(backendName, original, addon))) return [];
  const names = ['BatchMatMul'];
  for (const [name, op] of [['Tanh', ElementwiseOp.tanh], ['Exp', ElementwiseOp.exp]] as const) {
    if (replaceKernel(name, backendName, (original) => elementwiseKernel(backendName, op, addon, original))) names.push(name);
  }
  for (const [name, mean] of [['Sum', false], ['Mean', true]] as const) {
    if (replaceKernel(name, backendName, (original) => reduceKernel(backendName, mean, original, addon))) names.push(name);
  }
  addKernel(FusedKernelNames.geluTanh, backendName, elementwiseKernel(backendName, ElementwiseOp.geluTanh, addon));
  addKernel(FusedKernelNames.geluTanhGrad, backendName, elementwiseKernel(backendName, ElementwiseOp.geluTanhGrad, addon));
  addKernel(FusedKernelNames.geluErf, backendName, elementwiseKernel(backendName, ElementwiseOp.geluErf, addon));
  addKernel(FusedKernelNames.geluErfGrad, backendName, elementwiseKernel(backendName, ElementwiseOp.geluErfGrad, addon));
  names.push(FusedKernelNames.geluErf, FusedKernelNames.geluErfGrad);
  addKernel(FusedKernelNames.softmaxCrossEntropy, backendName, softmaxCrossEntropyKernel(backendName, addon));
  addKernel(FusedKernelNames.softmaxCrossEntropyGrad, backendName, softmaxCrossEntropyGradKernel(backendName, addon));
  addKernel(FusedKernelNames.maskedSoftmax, backendName, maskedSoftmaxKernel(backendName, addon));
  addKernel(FusedKernelNames.maskedSoftmaxGrad, backendName, maskedSoftmaxGradKernel(backendName, addon));
  addKernel(FusedKernelNames.dropoutMask, backendName, dropoutMaskKernel(backendName, addon));
  names.push(FusedKernelNames.geluTanh, FusedKernelNames.geluTanhGrad, FusedKernelNames.softmaxCrossEntropy, FusedKernelNames.softmaxCrossEntropyGrad, FusedKernelNames.maskedSoftmax, FusedKernelNames.maskedSoftmaxGrad, FusedKernelNames.dropoutMask);
  // arithmetic, maps and row ops: tfjs-cpu runs them per element in JavaScript (broadcast ones through index
  // arithmetic), tfjs-wasm on one thread
  for (const [name, op] of [['Add', BinaryOp.add], ['Sub', BinaryOp.sub], ['Multiply', BinaryOp.mul], ['RealDiv', BinaryOp.div]] as const) {
    if (replaceKernel(name, backendName, (original) => binaryKernel(backendName, op, original, addon))) names.push(name);
  }
  UNARY_KERNELS.forEach((name, op) => {
    if (replaceKernel(name, backendName, (original) => unaryKernel(backendName, op, original, addon))) names.push(name);
  });
  if (replaceKernel('Softmax', backendName, (original) => softmaxKernel(backendName, original, addon))) names.push('Softmax');
  if (replaceKernel('Max', backendName, (original) => maxKernel(backendName, original, addon))) names.push('Max');
  if (backendName === 'wasm' && replaceKernel('Identity', backendName, identityKernel)) names.push('Identity');
  if (replaceKernel('SplitV', backendName, (original) => splitKernel(backendName, original, addon))) names.push('SplitV');
  if (replaceKernel('Tile', backendName, (original) => tileKernel(backendName, original, addon))) names.push('Tile');
  if (replaceKernel('Slice', backendName, (original) => sliceKernel(backendName, original, addon))) names.push('Slice');
  if (backendName === 'cpu') {
    // tfjs-wasm has these natively already
    if (replaceKernel('Transpose', backendName, (original) => transposeKernel(backendName, original, addon))) names.push('Transpose');
    if (replaceKernel('Concat', backendName, (original) => concatKernel(backendName, original, addon))) names.push('Concat');
    if (replaceKernel('PadV2', backendName, (original) => padKernel(backendName, original, addon))) names.push('PadV2');
    if (replaceKernel('GatherV2', backendName, (original) => gatherKernel(backendName, original))) names.push('GatherV2');
  }
  return names;
}

/** Options of registerBlasKernels. `gemm` and `isa` apply to the whole process (the addon is one). */
export interface BlasOptions {
  backends?: readonly ('wasm' | 'cpu')[];
  threads?: number;
  /** On cpu, keep the C heap's pages warm (glibc's mallopt); default true. */
  tuneAllocator?: boolean;
  /** `own`: the addon's GEMM; `system`: the system BLAS built in (a ConfigError when the build found none). Default: as at load (PEFT_BLAS_GEMM). */
  gemm?: 'own' | 'system';
  /** `baseline` forces the plain vector path of the own kernels; `auto` the CPU's best. Default: as at load (PEFT_BLAS_ISA). */
  isa?: 'auto' | 'baseline';
}

function status(addon: BlasAddon, registered: string[], kernels: string[]): BlasStatus {
  const info: KernelInfo = addon.kernelInfo();
  return { available: true, config: addon.config(), gemm: info.gemm, isa: info.isa, systemGemm: info.systemGemm, registered, kernels };
}

/** Registers the kernels into the given backends (default both); a no-op report when the addon is absent. */
export function registerBlasKernels(options: BlasOptions = {}): BlasStatus {
  const loaded = loadAddon();
  if (!('addon' in loaded)) return { available: false, reason: loaded.reason, registered: [] };
  const { addon } = loaded;
  if (options.threads) addon.setThreads(options.threads);
  if (options.gemm || options.isa) {
    const info = addon.kernelInfo();
    const gemm = options.gemm ?? (info.gemm === 'own' ? 'own' : 'system');
    if (gemm === 'system' && info.systemGemm === null) {
      throw new ConfigError('gemm', '"system" asked for, but @peft/blas was built with its own GEMM only (the build found no OpenBLAS or Accelerate)');
    }
    addon.selectKernels(gemm, options.isa ?? (info.isa === 'baseline' ? 'baseline' : 'auto'));
  }
  const registered: string[] = [];
  const kernels = new Set<string>();
  for (const backendName of options.backends ?? ['wasm', 'cpu']) {
    const names = registerInto(backendName, addon);
    if (names.length === 0) continue;
    registered.push(backendName);
    for (const n of names) kernels.add(n);
    declareBackendFeature(backendName, BackendFeatures.transposedMatMul); // every BatchMatMul form is one sgemm
    featured.add(backendName);
    // cpu tensors are JavaScript typed arrays: keep their pages warm in the C heap (src/native/allocator.c)
    if (backendName === 'cpu' && options.tuneAllocator !== false) addon.configureAllocator(256 * 2 ** 20);
  }
  return status(addon, registered, [...kernels]);
}

/** Puts tfjs's own kernels back, removes the fused ones, and returns to the GEMM and vector path chosen at load. */
export function unregisterBlasKernels(): void {
  for (const b of featured) withdrawBackendFeature(b, BackendFeatures.transposedMatMul);
  featured.clear();
  for (const original of originals.values()) {
    tf.unregisterKernel(original.kernelName, original.backendName);
    tf.registerKernel(original);
  }
  originals.clear();
  for (const { kernelName, backendName } of added.values()) {
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
  }
  added.clear();
  const loaded = loadAddon();
  if ('addon' in loaded) loaded.addon.selectKernels(loaded.atLoad.gemm, loaded.atLoad.isa);
}

/** Whether the addon is built and loads, and which GEMM it runs, without registering anything. */
export function blasAvailability(): Omit<BlasStatus, 'registered' | 'kernels'> {
  const loaded = loadAddon();
  if (!('addon' in loaded)) return { available: false, reason: loaded.reason };
  const { registered: _r, kernels: _k, ...rest } = status(loaded.addon, [], []);
  return rest;
}

export type { GemmName, IsaName } from './addon.js';
export { reduceGeometry } from './reduce-kernels.js';
export { broadcastGeometry, type BroadcastGeometry } from './binary-kernels.js';
export { maskStrides } from './attention-kernels.js';
export { tileCopy, splitCopies, simplifyCopy, contiguousStrides, transposeCopy, sliceCopy, concatCopies, padCopy, type StridedCopy } from './copy-geometry.js';
