/**
 * @peft/webgpu: the GPU path. TensorFlow.js's WebGPU backend on Dawn for Node (npm `webgpu`) or on a browser's
 * WebGPU, a report of the adapter (name, vendor, software or hardware), and WGSL kernels registered through tfjs's
 * kernel registry where tfjs's own webgpu kernels are missing, wrong or slow for @peft's models.
 *
 * Browser-safe: nothing here imports Node built-ins at load; Dawn for Node is imported only by
 * {@link findNodeAdapter} / {@link probeBackend}.
 */
export { describeAdapter, isSoftwareAdapter, type AdapterReport, type AdapterInfoLike } from './adapter-info.js';
export type { GpuLike, AdapterLike, DeviceLike } from './gpu-types.js';
export { findNodeAdapter, type NodeAdapter, type NodeGpuOptions, type DawnApi } from './node-gpu.js';
export { WEBGPU_BACKEND, registerWebgpuBackend, releaseWebgpuBackend, requestTfjsDevice, webgpuErrors } from './backend.js';
export { registerWebgpuKernels, unregisterWebgpuKernels } from './kernels/register.js';
export { probeBackend } from './probe.js';
export { gpuDeviceNodes } from './gpu-device-nodes.js';
export { countGpuWork, zeroGpuWork, type GpuWorkCounts, type GpuWorkCounter } from './gpu-work-counter.js';
