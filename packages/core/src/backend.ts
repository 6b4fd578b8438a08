import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from './errors.js';

/**
 * Backend selection. @peft packages never pick a backend themselves; an application (the `peft` CLI) calls
 * {@link selectBackend}. The order is by measured speed on a 2-core x86 machine (docs/backends.md,
 * `npm run bench`): tfjs-node-gpu (CUDA) > WebGPU on a hardware adapter > tfjs-node (libtensorflow,
 * multi-threaded) > wasm (XNNPACK SIMD, ~20–25 GFLOP/s on a plain matmul) > cpu (pure JS, ~0.6 GFLOP/s).
 */
export interface BackendCandidate {
  /** The tfjs backend name it registers. */
  readonly backend: string;
  /** The npm package that provides it (imported dynamically), or null for one already registered. */
  readonly pkg: string | null;
  readonly note: string;
  /**
   * The package finds a device first: it exports `probeBackend(options: BackendProbeOptions): Promise<BackendProbe>`
   * (see {@link BackendProbe}), and a software device is used only when the backend is asked for by name.
   */
  readonly probe?: boolean;
  /**
   * What to tell a user when the package is not installed, for a package that is installed only on purpose (e.g. `npm
   * install @peft/webgpu for GPU`); its skipped line and the error when it was asked for by name say it.
   */
  readonly whenMissing?: string;
}

/** The device a probed backend found (a WebGPU adapter, say). */
export interface BackendDevice {
  readonly name: string;
  readonly vendor: string;
  /** A CPU implementation of a GPU API (llvmpipe, lavapipe, SwiftShader…): never picked unless asked for by name. */
  readonly software: boolean;
  /** Everything else the device reported, for logs. */
  readonly details?: string;
}

/** What {@link selectBackend} tells a backend package's `probeBackend(options)`. */
export interface BackendProbeOptions {
  /**
   * Only a hardware device will be taken (the backend was not named): the package may decline without looking for
   * software devices, where that is cheaper or quieter.
   */
  readonly hardwareOnly?: boolean;
}

/**
 * What a backend package with a device to find (such as @peft/webgpu) returns from its exported
 * `probeBackend(options: BackendProbeOptions)`: the device, and the two ways on from there. {@link selectBackend}
 * calls `use()` when it takes the device and `release()` when it does not.
 */
export interface BackendProbe {
  readonly device: BackendDevice;
  /** Registers the tfjs backend (and the package's kernels) on the device; returns lines worth logging. */
  use(): Promise<readonly string[]>;
  /** Lets the device go, so that nothing holds the process open. */
  release(): void;
}

export const BACKEND_CANDIDATES: readonly BackendCandidate[] = [
  { backend: 'tensorflow', pkg: '@tensorflow/tfjs-node-gpu', note: 'libtensorflow with CUDA (GPU)' },
  {
    backend: 'webgpu',
    pkg: '@peft/webgpu',
    note: "tfjs's WebGPU backend with @peft/webgpu's kernels (Dawn for Node: Vulkan, Metal or D3D12)",
    probe: true,
    whenMissing: 'npm install @peft/webgpu for GPU',
  },
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
  /** The device of a probed backend (the WebGPU adapter). */
  readonly device?: BackendDevice;
  /** What the backend's package said when it registered (kernels it added…). */
  readonly notes?: readonly string[];
  /** Lets a probed backend's device go when the application is done with it (a no-op for the others). */
  release(): void;
}

export interface SelectBackendOptions {
  /**
   * Only try these packages / backend names (e.g. `['wasm']`, `['cpu']`). A probed backend named here is used on a
   * software device too (`['webgpu']` runs WebGPU on llvmpipe).
   */
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
    let probe: BackendProbe | undefined;
    try {
      const mod = c.pkg ? await importOptional(c.pkg, c.whenMissing) : undefined;
      let notes: readonly string[] | undefined;
      if (c.probe) {
        const named = options.only?.some((o) => o === c.backend || o === c.pkg) ?? false;
        probe = await (mod as { probeBackend(o: BackendProbeOptions): Promise<BackendProbe> }).probeBackend({ hardwareOnly: !named });
        if (probe.device.software && !named) {
          throw new Error(
            `software adapter '${probe.device.name}' (runs on the CPU): used only when asked for by name ` +
              `(PEFT_BACKEND=${c.backend} with the peft command)`,
          );
        }
        notes = await probe.use();
      }
      if (!tf.findBackendFactory(c.backend)) throw new Error(`package loaded but backend '${c.backend}' is not registered`);
      const ok = await tf.setBackend(c.backend);
      if (!ok || tf.getBackend() !== c.backend) throw new Error(`backend '${c.backend}' failed to initialise`);
      await tf.ready();
      const found = probe;
      return {
        backend: c.backend,
        pkg: c.pkg,
        note: c.note,
        skipped,
        ...(found ? { device: found.device } : {}),
        ...(notes ? { notes } : {}),
        release: () => found?.release(),
      };
    } catch (e) {
      probe?.release();
      const reason = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      skipped.push({ pkg: c.pkg, reason });
      options.onSkip?.(c.pkg, reason);
    }
  }
  const tried = skipped.map((s) => `${s.pkg}: ${s.reason}`).join('; ');
  if (options.only) {
    // asked for by name: what is missing is the named package, not a better default
    const missing = candidates.filter((c) => c.pkg && skipped.some((s) => s.pkg === c.pkg && s.reason.startsWith(NOT_INSTALLED)));
    throw new BackendError(
      `the backend asked for (${options.only.join(', ')}) could not be initialised (tried: ${tried || 'no such backend'})` +
        (missing.length ? `; install ${missing.map((c) => c.pkg).join(' or ')}: npm install ${missing.map((c) => c.pkg).join(' ')}` : ''),
    );
  }
  throw new BackendError(
    `no TensorFlow.js backend could be initialised (tried: ${tried}); ` + 'install @tensorflow/tfjs-backend-wasm or @tensorflow/tfjs-node',
  );
}

/** The active backend's name. */
export function activeBackend(): string {
  return tf.getBackend();
}

const NOT_INSTALLED = 'not installed';

async function importOptional(pkg: string, whenMissing: string | undefined): Promise<unknown> {
  // A computed specifier keeps bundlers from resolving optional packages at build time.
  const specifier = pkg;
  try {
    return await import(/* @vite-ignore */ specifier);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // the package itself is missing (not one of its own dependencies, which is a broken install to report as it is)
    const notFound = /Cannot find (package|module)|ERR_MODULE_NOT_FOUND|MODULE_NOT_FOUND|Failed to load url/.test(msg);
    if (notFound && new RegExp(`(^|[\\s'"])${pkg.replace(/[/.]/g, '\\$&')}(['"\\s]|$)`).test(msg)) throw new Error(whenMissing ? `${NOT_INSTALLED} (${whenMissing})` : NOT_INSTALLED);
    throw e;
  }
}
