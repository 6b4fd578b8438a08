/// <reference lib="dom" />
// Which TensorFlow.js backend the training page runs on: WebGPU when the browser has an adapter, WebGL otherwise; the
// device each one runs on, and why a better one was skipped, said in words for the page.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu'; // registers 'webgpu' (only where navigator.gpu exists)
import '@tensorflow/tfjs-backend-webgl'; // registers 'webgl'
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { registerWebgpuKernels } from '@peft/webgpu';

export type PageBackend = 'webgpu' | 'webgl';
export const PAGE_BACKENDS: readonly PageBackend[] = ['webgpu', 'webgl'];

export interface BackendChoice {
  readonly backend: PageBackend;
  /** The device in words: the WebGPU adapter's vendor and architecture, or WebGL's renderer. */
  readonly device: string;
  /** A software adapter (SwiftShader, llvmpipe): correct, but no faster than the CPU. */
  readonly software: boolean;
  /** Why each backend before the chosen one was not used. */
  readonly skipped: readonly string[];
}

/** The part of WebGPU's API this file reads (the @webgpu/types that tfjs 4.22 brings predate `GPUAdapter.info`). */
interface GpuAdapterLike {
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  readonly isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|software/i;

/** The adapter tfjs will get (it asks for a high-performance one), or why there is none. */
async function webgpuAdapter(): Promise<{ device: string; software: boolean } | { skipped: string }> {
  const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
  if (!gpu) return { skipped: 'webgpu: this browser has no navigator.gpu (WebGPU is off, or the page is not a secure context)' };
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return { skipped: 'webgpu: navigator.gpu.requestAdapter() found no adapter' };
  const info = adapter.info ?? {};
  const fallback = info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
  const words = [info.vendor, info.architecture, info.device, info.description].filter((w) => w).join(' ') || 'an unnamed adapter';
  return { device: fallback ? `${words} (a fallback adapter)` : words, software: fallback || SOFTWARE.test(words) };
}

/** WebGL's unmasked renderer string, e.g. "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device ...))". */
function webglRenderer(): string {
  const gl = (tf.backend() as MathBackendWebGL).gpgpu.gl;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

/**
 * Sets the first backend of `order` that initialises and returns it. `order` defaults to WebGPU then WebGL; a page
 * parameter such as `?backend=webgl` narrows it to one.
 */
export async function pickBackend(order: readonly PageBackend[] = PAGE_BACKENDS): Promise<BackendChoice> {
  const skipped: string[] = [];
  for (const backend of order) {
    if (backend === 'webgpu') {
      const adapter = await webgpuAdapter();
      if ('skipped' in adapter) {
        skipped.push(adapter.skipped);
        continue;
      }
      if (!(await tf.setBackend('webgpu'))) {
        skipped.push(`webgpu: tfjs could not initialise it on ${adapter.device}`);
        continue;
      }
      // @peft/webgpu's kernels: tfjs 4.22's AddN is wrong past 7 inputs (the clipping norm read 0), fused GELU and LM loss
      registerWebgpuKernels();
      return { backend, ...adapter, skipped };
    }
    if (!(await tf.setBackend('webgl'))) {
      skipped.push('webgl: tfjs could not initialise it (no WebGL 2 context)');
      continue;
    }
    const device = webglRenderer();
    return { backend, device, software: SOFTWARE.test(device), skipped };
  }
  throw new Error(`no backend to train on: ${skipped.join('; ')}`);
}
