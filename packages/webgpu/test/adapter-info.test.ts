import { describeAdapter, isSoftwareAdapter } from '@peft/webgpu';
import { describe, expect, it } from 'vitest';

// What Dawn and browsers report for real adapters (GPUAdapterInfo fields), and the software ones that must never be
// picked by default.
describe('adapter reports', () => {
  it('names the CPU implementations as software, real GPUs as hardware', () => {
    const software = [
      { device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL version 4.5 (Core Profile) Mesa 22.3.6' }, // Dawn on Mesa GL
      { vendor: 'mesa', architecture: '', device: 'lavapipe', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' },
      { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' },
      { vendor: 'microsoft', description: 'Microsoft Basic Render Driver' },
      { vendor: 'nvidia', description: 'whatever', isFallbackAdapter: true },
    ];
    const hardware = [
      { vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3080' },
      { vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' },
      { vendor: 'apple', architecture: 'metal-3', description: 'Apple M2 Pro' },
      { vendor: 'intel', architecture: 'gen-12lp', description: 'Intel(R) UHD Graphics 770' },
    ];
    expect(software.map(isSoftwareAdapter)).toEqual(software.map(() => true));
    expect(hardware.map(isSoftwareAdapter)).toEqual(hardware.map(() => false));
  });

  it('reports the name, vendor and every field given', () => {
    const r = describeAdapter({ vendor: 'nvidia', architecture: 'ampere', device: '', description: 'NVIDIA GeForce RTX 3080' }, 'vulkan');
    expect(r).toEqual({ name: 'NVIDIA GeForce RTX 3080', vendor: 'nvidia', software: false, api: 'vulkan', details: "vendor 'nvidia', architecture 'ampere', description 'NVIDIA GeForce RTX 3080'" });
    const mesa = describeAdapter({ vendor: '', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL version 4.5 (Core Profile) Mesa 22.3.6' });
    expect(mesa.name).toBe('OpenGL version 4.5 (Core Profile) Mesa 22.3.6 / llvmpipe-llvm-15-0-6-256-bits-');
    expect(mesa.software).toBe(true);
    expect(describeAdapter({}).name).toBe('unnamed adapter');
  });
});
