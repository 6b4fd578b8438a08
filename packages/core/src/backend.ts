import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from './errors.js';

/**
 * Backend selection. @peft packages never pick a backend themselves; an application (the `peft` CLI) calls
 * {@link selectBackend}. The order is by measured speed on a 2-core x86 machine (docs/backends.md,
 * `npm run bench`): tfjs-node-gpu (CUDA) > tfjs-node (libtensorflow, multi-threaded) > wasm (XNNPACK SIMD, ~20–25
 * GFLOP/s on a plain matmul) > cpu (pure JS, ~0.6 GFLOP/s).
 */
export interface BackendCandidate {
  /** The tfjs backend name it registers. */
  readonly backend: string;
  /** The npm package that provides it (imported dynamically), or null for one already registered. */
  readonly pkg: string | null;
  readonly note: string;
}

export const BACKEND_CANDIDATES: readonly BackendCandidate[] = [
  { backend: 'tensorflow', pkg: '@tensorflow/tfjs-node-gpu', note: 'libtensorflow with CUDA (GPU)' },
  { backend: 'tensorflow', pkg: '@tensorflow/tfjs-node', note: 'libtensorflow on the CPU, multi-threaded' },
  {
    backend: 'wasm',
    pkg: '@tensorflow/tfjs-backend-wasm',
    note: 'WebAssembly + XNNPACK SIMD; heap capped at 4 GiB (frozen weights count about twice: XNNPACK keeps a packed copy)',
  },
  { backend: 'cpu', pkg: '@tensorflow/tfjs-backend-cpu', note: 'pure JavaScript; about 30–80× slower than wasm' },
];

export interface BackendChoice {
  readonly backend: string;
  readonly pkg: string | null;
  readonly note: string;
  /** Why the better candidates were not used. */
  readonly skipped: readonly { pkg: string | null; reason: string }[];
}

export interface SelectBackendOptions {
  /** Only try these packages / backend names (e.g. `['wasm']`, `['cpu']`). */
  readonly only?: readonly string[];
  /** Called for each candidate that fails, for logging. */
  readonly onSkip?: (pkg: string | null, reason: string) => void;
}

/** Loads the fastest backend that is installed and initialises, sets it active, and says which one it is. */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const skipped: { pkg: string | null; reason: string }[] = [];
  const candidates = BACKEND_CANDIDATES.filter(
    (c) => !options.only || options.only.some((o) => o === c.backend || o === c.pkg),
  );
  for (const c of candidates) {
    try {
      if (c.pkg) await importOptional(c.pkg);
      if (!tf.findBackendFactory(c.backend)) throw new Error(`package loaded but backend '${c.backend}' is not registered`);
      const ok = await tf.setBackend(c.backend);
      if (!ok || tf.getBackend() !== c.backend) throw new Error(`backend '${c.backend}' failed to initialise`);
      await tf.ready();
      return { backend: c.backend, pkg: c.pkg, note: c.note, skipped };
    } catch (e) {
      const reason = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      skipped.push({ pkg: c.pkg, reason });
      options.onSkip?.(c.pkg, reason);
    }
  }
  throw new BackendError(
    `no TensorFlow.js backend could be initialised (tried: ${skipped.map((s) => `${s.pkg}: ${s.reason}`).join('; ')}); ` +
      'install @tensorflow/tfjs-backend-wasm or @tensorflow/tfjs-node',
  );
}

/** The active backend's name. */
export function activeBackend(): string {
  return tf.getBackend();
}

async function importOptional(pkg: string): Promise<unknown> {
  // A computed specifier keeps bundlers from resolving optional packages at build time.
  const specifier = pkg;
  try {
    return await import(/* @vite-ignore */ specifier);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/Cannot find (package|module)|ERR_MODULE_NOT_FOUND|MODULE_NOT_FOUND/.test(msg)) throw new Error('not installed');
    throw e;
  }
}
