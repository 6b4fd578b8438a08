import * as tf from '@tensorflow/tfjs-core';
import { probeBackend, webgpuErrors } from '@peft/webgpu';
import { underCi } from '../ci.js';

export { underCi };

export interface WebgpuForTests {
  readonly ready: boolean;
  /** Why not, when not. */
  readonly reason?: string;
  /** The adapter's name, when ready. */
  readonly adapter?: string;
}

let state: Promise<WebgpuForTests> | undefined;

/**
 * Registers the 'webgpu' backend (with @peft/webgpu's kernels) once per test worker, on any adapter — software ones
 * included, which is what CI machines have. The active backend stays cpu.
 */
export function webgpuForTests(): Promise<WebgpuForTests> {
  state ??= (async () => {
    try {
      const probe = await probeBackend();
      await probe.use();
      const before = tf.getBackend();
      if (!(await tf.setBackend('webgpu'))) throw new Error("tfjs's webgpu backend did not initialise");
      await tf.setBackend(before);
      return { ready: true, adapter: probe.device.name };
    } catch (e) {
      return { ready: false, reason: e instanceof Error ? e.message.split('\n')[0] : String(e) };
    }
  })();
  return state;
}

/**
 * {@link webgpuForTests}, and the rule for a missing adapter: under CI=true a failure, elsewhere a skip that says why
 * (the files check `ready`).
 */
export async function webgpuOrSkip(): Promise<WebgpuForTests> {
  const state = await webgpuForTests();
  if (!state.ready) {
    if (underCi) throw new Error(`CI=true: the webgpu tests need a WebGPU adapter: ${state.reason}`);
    process.stderr.write(`webgpu tests skipped: ${state.reason}\n`);
  }
  return state;
}

/** Validation errors the device reported since the backend started (each one means a kernel produced nothing). */
export function deviceErrors(): readonly string[] {
  return webgpuErrors();
}

/** Runs `f` with `backend` active, then goes back to cpu. */
export async function onBackend<T>(backend: string, f: () => T | Promise<T>): Promise<T> {
  await tf.setBackend(backend);
  try {
    return await f();
  } finally {
    await tf.setBackend('cpu');
  }
}
