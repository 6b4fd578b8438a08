import { countGpuWork } from '@peft/webgpu';
import { describe, expect, it } from 'vitest';

// A stand-in for a GPUDevice with the calls tfjs's WebGPU backend makes: the counter must see each of them, with
// their bytes, whichever object (device, queue, encoder, pass, buffer prototype) they go through.
class FakeBuffer {
  constructor(readonly size: number) {}
  mapAsync(_mode: number, _offset?: number, _size?: number): Promise<void> {
    return Promise.resolve();
  }
  destroy(): void {}
}
function fakeDevice() {
  const calls: string[] = [];
  const pass = { dispatchWorkgroups: (x: number) => calls.push(`dispatch ${x}`), end: () => calls.push('end') };
  const encoder = {
    beginComputePass: () => ({ ...pass }),
    copyBufferToBuffer: (_s: unknown, _so: number, _d: unknown, _do: number, size: number) => calls.push(`copy ${size}`),
    finish: () => ({}),
  };
  const device = {
    queue: {
      submit: (buffers: unknown[]) => calls.push(`submit ${buffers.length}`),
      writeBuffer: (_b: unknown, _o: number, data: ArrayBufferView) => calls.push(`write ${data.byteLength}`),
    },
    createBuffer: (d: { size: number; mappedAtCreation?: boolean }) => new FakeBuffer(d.size),
    createCommandEncoder: () => ({ ...encoder }),
    createShaderModule: () => ({}),
    createComputePipeline: () => ({}),
    createComputePipelineAsync: () => Promise.resolve({}),
  };
  return { device, calls };
}

describe('countGpuWork', () => {
  it('counts dispatches, submits, pipelines, uploads, uniform writes, readbacks and copies, with their bytes', async () => {
    const { device, calls } = fakeDevice();
    const staging = device.createBuffer({ size: 64 }); // made before counting, as tfjs's pooled staging buffers
    const counter = countGpuWork(device);
    device.createShaderModule();
    device.createComputePipeline();
    await device.createComputePipelineAsync();
    device.createBuffer({ size: 400, mappedAtCreation: true });
    device.createBuffer({ size: 100 });
    const enc = device.createCommandEncoder();
    const p = enc.beginComputePass();
    p.dispatchWorkgroups(4);
    p.dispatchWorkgroups(8);
    p.end();
    enc.copyBufferToBuffer(null, 0, staging, 0, 64);
    device.queue.writeBuffer(null, 0, new Float32Array(6));
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(1); // GPUMapMode.READ
    await staging.mapAsync(2); // WRITE: not a readback
    const before = counter.read();
    expect(before).toEqual({
      dispatches: 2, submits: 1, commandBuffers: 1, pipelines: 2, shaderModules: 1, buffersCreated: 2, bufferBytesCreated: 500,
      mappedUploads: 1, mappedUploadBytes: 400, writeBuffers: 1, writeBufferBytes: 24, readbacks: 1, readbackBytes: 64, copies: 1, copyBytes: 64,
    });
    expect(calls).toEqual(['dispatch 4', 'dispatch 8', 'end', 'copy 64', 'write 24', 'submit 1']); // the calls still happen
    device.createCommandEncoder().beginComputePass().dispatchWorkgroups(1);
    expect(counter.since(before)).toMatchObject({ dispatches: 1, submits: 0, readbacks: 0 });
    const final = counter.stop();
    expect(final.dispatches).toBe(3);
    // after stop(): the device, its queue and the buffers' prototype are as before, and nothing more is counted
    expect(Object.prototype.hasOwnProperty.call(device, 'createComputePipeline')).toBe(true); // its own method, put back
    expect(Object.prototype.hasOwnProperty.call(FakeBuffer.prototype, 'mapAsync')).toBe(true);
    device.createComputePipeline();
    await staging.mapAsync(1);
    expect(counter.read()).toEqual(final);
  });

  it('refuses what is not a WebGPU device, naming what it needs', () => {
    expect(() => countGpuWork({})).toThrow(/expected a WebGPU device \(with createBuffer, createCommandEncoder and queue\)/);
    expect(() => countGpuWork(null)).toThrow(TypeError);
  });
});
