import { describe, expect, it } from 'vitest';
import { gpuDeviceNodes } from '@peft/webgpu';

// Whether backend selection loads Dawn at all: only where a GPU driver's device node exists (Linux), or always where
// the platform has no such files.
const folders = (tree: Record<string, string[]>) => (dir: string) => tree[dir] ?? [];

describe('gpuDeviceNodes', () => {
  it('finds DRM render nodes, NVIDIA devices and WSL2 GPU, nothing else', () => {
    const tree = folders({
      '/dev/dri': ['card0', 'renderD128', 'renderD129', 'by-path'],
      '/dev': ['dri', 'nvidia0', 'nvidiactl', 'nvidia-uvm', 'dxg', 'null', 'tty0'],
    });
    expect(gpuDeviceNodes('linux', tree)).toEqual(['/dev/dri/renderD128', '/dev/dri/renderD129', '/dev/nvidia0', '/dev/dxg']);
  });

  it('a Linux machine without a GPU driver has none (a card node alone, as a display-only driver makes, is not one)', () => {
    expect(gpuDeviceNodes('linux', folders({ '/dev': ['null', 'nvidiactl'], '/dev/dri': ['card0'] }))).toEqual([]);
    expect(gpuDeviceNodes('linux', folders({}))).toEqual([]);
  });

  it('cannot say on macOS and Windows: null (Dawn decides)', () => {
    expect(gpuDeviceNodes('darwin', folders({ '/dev': ['nvidia0'] }))).toBeNull();
    expect(gpuDeviceNodes('win32', folders({}))).toBeNull();
  });
});
