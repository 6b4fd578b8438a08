import * as tf from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { AdapterLike, DeviceLike, GpuLike } from './gpu-types.js';

/** The tfjs backend name this package registers and its kernels go into. */
export const WEBGPU_BACKEND = 'webgpu';

/**
 * The limits tfjs's own browser factory raises to the adapter's maxima (the defaults are far smaller), and the
 * number of storage buffers per shader (tfjs's many-input kernels bind one per input).
 */
const RAISED_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
] as const;

/** Requests a device from the adapter with the features and limits tfjs's webgpu backend uses. */
export async function requestTfjsDevice(adapter: AdapterLike): Promise<DeviceLike> {
  const requiredFeatures = ['timestamp-query'].filter((f) => adapter.features.has(f));
  const requiredLimits = Object.fromEntries(RAISED_LIMITS.map((k) => [k, adapter.limits[k]]).filter(([, v]) => v !== undefined));
  return adapter.requestDevice({ requiredFeatures, requiredLimits });
}

/** Validation and out-of-memory errors the device reported (newest last, at most 100). */
const deviceErrorLog: string[] = [];

/**
 * The errors the WebGPU device reported since {@link registerWebgpuBackend}: WebGPU reports a kernel it cannot run
 * (an invalid pipeline, a buffer past a limit) as an event, not an exception, and the kernel's output is then left
 * unwritten. Tests assert this is empty; Dawn also prints each one.
 */
export function webgpuErrors(): readonly string[] {
  return [...deviceErrorLog];
}

function listenForErrors(device: DeviceLike): void {
  device.addEventListener?.('uncapturederror', (event: { error?: { message?: string } }) => {
    if (deviceErrorLog.length >= 100) deviceErrorLog.shift();
    deviceErrorLog.push(event.error?.message ?? String(event.error));
  });
}

interface Registered {
  readonly gpu: GpuLike;
  device?: DeviceLike;
  /** Whether this package put `gpu` on navigator (tfjs's backend checks `navigator.gpu` before it starts). */
  readonly setNavigator: boolean;
}
let registered: Registered | undefined;

/**
 * Registers tfjs's WebGPU backend, as 'webgpu', on this adapter (Dawn's in Node, or any the caller chose). tfjs's
 * backend refuses to start where `navigator.gpu` is absent (Node), so it is set to `gpu` there until
 * {@link releaseWebgpuBackend}. Replaces a 'webgpu' factory registered before (tfjs's own, in a browser).
 */
export function registerWebgpuBackend(gpu: GpuLike, adapter: AdapterLike, options: { priority?: number } = {}): void {
  releaseWebgpuBackend();
  const g = globalThis as { navigator?: { gpu?: unknown } };
  let setNavigator = false;
  if (!g.navigator) {
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  }
  if (!g.navigator!.gpu) {
    Object.defineProperty(g.navigator!, 'gpu', { value: gpu, configurable: true, writable: true });
    setNavigator = true;
  }
  const state: Registered = { gpu, setNavigator };
  registered = state;
  if (tf.findBackendFactory(WEBGPU_BACKEND)) tf.removeBackend(WEBGPU_BACKEND);
  tf.registerBackend(
    WEBGPU_BACKEND,
    async () => {
      const device = await requestTfjsDevice(adapter);
      state.device = device;
      deviceErrorLog.length = 0;
      listenForErrors(device);
      return new WebGPUBackend(device as never, adapter.info as never);
    },
    options.priority ?? 0, // never chosen by tfjs's own "best backend" pick: the application chooses
  );
}

/**
 * Removes the backend registered by {@link registerWebgpuBackend}, destroys its device and lets go of the GPU, so
 * that a Node process can exit (Dawn keeps it alive while anything holds the instance).
 */
export function releaseWebgpuBackend(): void {
  const state = registered;
  if (!state) return;
  registered = undefined;
  if (tf.findBackendFactory(WEBGPU_BACKEND)) tf.removeBackend(WEBGPU_BACKEND);
  state.device?.destroy();
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (state.setNavigator && nav && nav.gpu === state.gpu) delete nav.gpu;
}
