/**
 * What a WebGPU adapter is, in the words a user needs: its name, its vendor, and whether it is a software rasteriser
 * (llvmpipe, lavapipe, SwiftShader, WARP…) that runs on the CPU rather than a GPU.
 */
export interface AdapterReport {
  /** The adapter's description and device name (Dawn on Mesa: 'OpenGL version 4.5 (Core Profile) Mesa 22.3.6 / llvmpipe-…'). */
  readonly name: string;
  /** The vendor string ('' when the driver gives none, as Mesa's OpenGL drivers do). */
  readonly vendor: string;
  /** True for CPU implementations of WebGPU: never picked by default. */
  readonly software: boolean;
  /** The graphics API Dawn runs it on ('vulkan', 'opengl', 'metal', 'd3d12'…), when known. */
  readonly api?: string;
  /** Every field the adapter reported, for logs. */
  readonly details: string;
}

/** The fields of GPUAdapterInfo this package reads (all optional: browsers and Dawn fill different ones). */
export interface AdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}

/** Names by which CPU implementations of Vulkan, OpenGL, D3D and WebGPU identify themselves. */
const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|swrast|software|microsoft basic render|\bwarp\b/i;

/** Whether an adapter is a software rasteriser: a fallback adapter, or one whose name is a known CPU implementation. */
export function isSoftwareAdapter(info: AdapterInfoLike): boolean {
  if (info.isFallbackAdapter) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((s) => !!s && SOFTWARE_NAMES.test(s));
}

/** A report of the adapter: name, vendor, software or not. */
export function describeAdapter(info: AdapterInfoLike, api?: string): AdapterReport {
  const fields = { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description };
  const parts = [info.description, info.device].filter((s): s is string => !!s);
  const name = parts.filter((s, i) => !parts.some((o, j) => j !== i && o.length > s.length && o.includes(s))).join(' / ') ||
    info.architecture || info.vendor || 'unnamed adapter';
  const details = Object.entries(fields)
    .filter(([, v]) => !!v)
    .map(([k, v]) => `${k} '${v}'`)
    .join(', ');
  return { name, vendor: info.vendor ?? '', software: isSoftwareAdapter(info), ...(api ? { api } : {}), details };
}
