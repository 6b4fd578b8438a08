import { BackendFeatures, ConfigError, KernelRegistry } from '@peft/core';
import { loadAddon, type BlasAddon, type GemmName, type IsaChoice, type IsaName, type KernelInfo } from './addon.js';
import { blasKernelTable } from './kernel-table.js';

/**
 * @peft/blas: an optional accelerator for the TensorFlow.js `wasm` and `cpu` backends. It registers
 * - `BatchMatMul` as one batched GEMM — the addon's own blocked, packed GEMM (AVX-512, AVX2+FMA, NEON or baseline, picked by
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
  /** The vector path of the own kernels: avx512 (the GEMM and the exp/tanh/log loops; AVX2+FMA for the rest), avx2 (AVX2+FMA), neon, or baseline. */
  readonly isa?: IsaName;
  /** The paths this CPU can run, best first. */
  readonly isas?: readonly IsaName[];
  /** The system BLAS built in beside the own GEMM, or null where the build found none. */
  readonly systemGemm?: 'openblas' | 'accelerate' | null;
  /** Backends whose kernels are now the addon's. */
  readonly registered: readonly string[];
  /** The kernel names registered into those backends. */
  readonly kernels?: readonly string[];
}

/** The kernels registered into the backends, and tfjs's own that they replaced (to fall back to and to restore). */
const registry = new KernelRegistry();

/** Options of registerBlasKernels. `gemm` and `isa` apply to the whole process (the addon is one). */
export interface BlasOptions {
  backends?: readonly ('wasm' | 'cpu')[];
  threads?: number;
  /** On cpu, keep the C heap's pages warm (glibc's mallopt); default true. */
  tuneAllocator?: boolean;
  /** `own`: the addon's GEMM; `system`: the system BLAS built in (a ConfigError when the build found none). Default: as at load (PEFT_BLAS_GEMM). */
  gemm?: 'own' | 'system';
  /**
   * `auto`: the CPU's best path; `baseline` the plain vector path of the own kernels; `avx512`, `avx2`, `neon` that
   * path (a ConfigError where the CPU lacks it). Default: as at load (PEFT_BLAS_ISA).
   */
  isa?: IsaChoice;
}

function status(addon: BlasAddon, registered: string[], kernels: string[]): BlasStatus {
  const info: KernelInfo = addon.kernelInfo();
  return { available: true, config: addon.config(), gemm: info.gemm, isa: info.isa, isas: info.isas, systemGemm: info.systemGemm, registered, kernels };
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
    const isa = options.isa ?? info.isa; // the path in use, kept
    if (isa !== 'auto' && !info.isas.includes(isa)) {
      throw new ConfigError('isa', `"${isa}" asked for, but this CPU has no ${isa} path (it has: ${info.isas.join(', ')})`);
    }
    addon.selectKernels(gemm, isa);
  }
  const registered: string[] = [];
  const kernels = new Set<string>();
  for (const backendName of options.backends ?? ['wasm', 'cpu']) {
    // every BatchMatMul form is one sgemm; nothing is registered where the backend's package is not imported
    const names = registry.register(backendName, blasKernelTable(backendName, addon), { features: [BackendFeatures.transposedMatMul, BackendFeatures.redrawnDropoutMasks, BackendFeatures.groupedKeyValueHeads] });
    if (names.length === 0) continue;
    registered.push(backendName);
    for (const n of names) kernels.add(n);
    // cpu tensors are JavaScript typed arrays: keep their pages warm in the C heap (src/native/allocator.c)
    if (backendName === 'cpu' && options.tuneAllocator !== false) addon.configureAllocator(256 * 2 ** 20);
  }
  return status(addon, registered, [...kernels]);
}

/** Puts tfjs's own kernels back, removes the fused ones, and returns to the GEMM and vector path chosen at load. */
export function unregisterBlasKernels(): void {
  registry.unregister();
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

/** One vector path's measured multiply-add ceiling. */
export interface FmaThroughput {
  readonly isa: IsaName;
  /** GFLOP/s of one thread running only register-to-register FMAs on that path, per CPU-second. */
  readonly gflopsPerCore: number;
}

/**
 * The machine's real peak per vector path (src/native/fma-probe.c): a register-only FMA loop on one thread, for
 * every path this CPU runs, best path first. Each takes about `seconds`. Empty when the addon is absent.
 */
export function fmaThroughput(seconds = 0.3): FmaThroughput[] {
  const loaded = loadAddon();
  if (!('addon' in loaded)) return [];
  const { addon } = loaded;
  return addon.kernelInfo().isas.flatMap((isa) => {
    const g = addon.fmaPeak(isa, seconds);
    return g === null ? [] : [{ isa, gflopsPerCore: g }];
  });
}

export type { GemmName, IsaChoice, IsaName } from './addon.js';
export { reduceGeometry } from './reduce-kernels.js';
export { broadcastGeometry, type BroadcastGeometry } from './binary-kernels.js';
export { maskStrides } from './attention-kernels.js';
export { tileCopy, splitCopies, simplifyCopy, contiguousStrides, transposeCopy, sliceCopy, concatCopies, padCopy, type StridedCopy } from './copy-geometry.js';
