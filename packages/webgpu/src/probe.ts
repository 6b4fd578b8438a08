import type { BackendProbe, BackendProbeOptions } from '@peft/core';
import { noHardwareGpu } from './gpu-device-nodes.js';
import { registerWebgpuBackend, releaseWebgpuBackend } from './backend.js';
import { registerWebgpuKernels } from './kernels/register.js';
import { findNodeAdapter, type NodeGpuOptions } from './node-gpu.js';

/**
 * @peft/core's backend-provider entry (`selectBackend` imports this package and calls it): finds an adapter with
 * Dawn for Node and reports it; `use()` registers tfjs's WebGPU backend on it with this package's kernels.
 */
export async function probeBackend(options: NodeGpuOptions & BackendProbeOptions = {}): Promise<BackendProbe> {
  if (options.hardwareOnly && typeof process !== 'undefined') {
    const why = await noHardwareGpu();
    if (why) throw new Error(why);
  }
  const found = await findNodeAdapter(options);
  let gpu: typeof found.gpu | undefined = found.gpu;
  return {
    device: { name: found.report.name, vendor: found.report.vendor, software: found.report.software, details: `${found.report.details}; Dawn on ${found.api}, ${found.featureLevel} feature level` },
    async use() {
      if (!gpu) throw new Error('this WebGPU probe was released');
      registerWebgpuBackend(gpu, found.adapter);
      const fused = typeof process === 'undefined' || process.env.PEFT_WEBGPU_FUSED !== '0';
      const kernels = registerWebgpuKernels({ fused });
      return [`adapter: ${found.report.name}${found.report.vendor ? ` (${found.report.vendor})` : ''}${found.report.software ? ', a software adapter (CPU)' : ''}; Dawn on ${found.api}`, `kernels: @peft/webgpu WGSL ${kernels.join(', ') || '(none)'}${fused ? '' : ' (PEFT_WEBGPU_FUSED=0: no fused kernels)'}`];
    },
    release() {
      releaseWebgpuBackend();
      gpu = undefined;
    },
  };
}
