import type { AdapterInfoLike } from './adapter-info.js';

// The parts of the WebGPU API this package touches, typed structurally so that neither @webgpu/types nor a DOM lib
// is needed to build it (browsers' navigator.gpu and Dawn for Node both satisfy them).

export interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>;
}

export interface AdapterLike {
  readonly info?: AdapterInfoLike;
  readonly features: { has(name: string): boolean };
  readonly limits: Record<string, number>;
  requestDevice(descriptor?: Record<string, unknown>): Promise<DeviceLike>;
}

export interface DeviceLike {
  readonly features: { has(name: string): boolean };
  readonly limits: Record<string, number>;
  readonly lost: Promise<{ reason?: string; message?: string }>;
  destroy(): void;
  addEventListener?(type: 'uncapturederror', listener: (event: { error?: { message?: string } }) => void): void;
}
