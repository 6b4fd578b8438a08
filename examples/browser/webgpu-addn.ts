// tfjs-backend-webgpu 4.22's AddN binds every input as a storage buffer of one shader. With more inputs than the
// device's maxStorageBuffersPerShaderStage − 1 (7 under WebGPU's default limit of 8, which tfjs asks for) the pipeline
// is invalid, the GPU skips it and the sum reads as zeros. Gradient clipping sums one square norm per trainable
// tensor (8 for the page's LoRA), so without this its global norm would be 0 and nothing would be clipped.
// This wraps the stock kernel to add at most that many tensors at a time.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

let wrapped = false;

/** Replaces the registered webgpu AddN by one that sums in groups the device can bind (idempotent). */
export function registerChunkedAddN(): void {
  if (wrapped) return;
  const stock = tf.getKernel(tf.AddN, 'webgpu');
  if (!stock) return; // no webgpu backend registered in this browser
  wrapped = true;
  tf.unregisterKernel(tf.AddN, 'webgpu');
  tf.registerKernel({
    ...stock,
    kernelFunc: (args) => {
      const backend = args.backend as WebGPUBackend;
      const group = backend.device.limits.maxStorageBuffersPerShaderStage - 1; // one binding is the output
      let terms = args.inputs as unknown as tf.TensorInfo[];
      const temporaries: tf.TensorInfo[] = [];
      while (terms.length > group) {
        const sums: tf.TensorInfo[] = [];
        for (let i = 0; i < terms.length; i += group) {
          const part = terms.slice(i, i + group);
          if (part.length === 1) sums.push(part[0]!);
          else {
            const sum = stock.kernelFunc({ ...args, inputs: part as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
            temporaries.push(sum);
            sums.push(sum);
          }
        }
        terms = sums;
      }
      const out = stock.kernelFunc({ ...args, inputs: terms as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
      for (const t of temporaries) backend.disposeData(t.dataId);
      return out;
    },
  });
}
