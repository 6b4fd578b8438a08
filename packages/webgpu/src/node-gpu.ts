import { describeAdapter, type AdapterReport } from './adapter-info.js';
import type { AdapterLike, GpuLike } from './gpu-types.js';

/** A graphics API Dawn can run WebGPU on. 'default' is Dawn's own choice (Vulkan on Linux, Metal, D3D12). */
export type DawnApi = 'default' | 'vulkan' | 'opengl' | 'opengles' | 'metal' | 'd3d12' | 'd3d11';

export interface NodeGpuOptions {
  /**
   * The APIs to try, in order. Default: Dawn's own choice (a real GPU through Vulkan, Metal or D3D12), then OpenGL in
   * WebGPU's compatibility mode, which is where Mesa's software llvmpipe is found on a machine without a GPU (Dawn
   * refuses Mesa's software Vulkan, lavapipe). `PEFT_WEBGPU_API=vulkan,opengl` sets the list from the environment.
   */
  readonly apis?: readonly DawnApi[];
  /** More dawn.node flags (e.g. 'enable-dawn-features=…'), passed to every instance. */
  readonly dawnFlags?: readonly string[];
}

/** A WebGPU adapter found by Dawn for Node, the instance that owns it, and what it is. */
export interface NodeAdapter {
  readonly gpu: GpuLike;
  readonly adapter: AdapterLike;
  readonly api: DawnApi;
  readonly featureLevel: 'core' | 'compatibility';
  readonly report: AdapterReport;
}

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

/** Loads Dawn for Node (npm `webgpu`): only on demand, so that this package imports in a browser. */
async function loadDawn(): Promise<DawnModule> {
  const specifier = 'webgpu'; // computed: bundlers must not pull the Node addon into a browser build
  try {
    return (await import(/* @vite-ignore */ specifier)) as DawnModule;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/Cannot find (package|module) 'webgpu'|ERR_MODULE_NOT_FOUND/.test(msg)) {
      throw new Error("Dawn for Node is not installed (npm package 'webgpu', an optional dependency of @peft/webgpu)");
    }
    throw new Error(`Dawn for Node (npm 'webgpu') did not load: ${msg.split('\n')[0]}`);
  }
}

function apisFromEnv(): DawnApi[] | undefined {
  const raw = typeof process !== 'undefined' ? process.env.PEFT_WEBGPU_API : undefined;
  return raw ? (raw.split(',').map((s) => s.trim()).filter(Boolean) as DawnApi[]) : undefined;
}

/**
 * Finds a WebGPU adapter through Dawn for Node, trying each API in turn; throws, naming what each try gave, when none
 * has one. Sets WebGPU's globals (GPUBufferUsage, …) that tfjs's backend reads. For OpenGL it sets
 * EGL_PLATFORM=surfaceless when unset (no display is needed to compute).
 */
export async function findNodeAdapter(options: NodeGpuOptions = {}): Promise<NodeAdapter> {
  const dawn = await loadDawn();
  for (const [k, v] of Object.entries(dawn.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  const tried: string[] = [];
  for (const api of options.apis ?? apisFromEnv() ?? ['default', 'opengl']) {
    const gl = api === 'opengl' || api === 'opengles';
    if (gl && process.env.EGL_PLATFORM === undefined) process.env.EGL_PLATFORM = 'surfaceless';
    const flags = [...(api === 'default' ? [] : [`backend=${api}`]), ...(options.dawnFlags ?? [])];
    let gpu: GpuLike;
    try {
      gpu = dawn.create(flags);
    } catch (e) {
      tried.push(`${api}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      continue;
    }
    // OpenGL(ES) offers only WebGPU's compatibility feature level; ask for core first elsewhere.
    for (const featureLevel of gl ? (['compatibility'] as const) : (['core', 'compatibility'] as const)) {
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', featureLevel });
      if (adapter) return { gpu, adapter, api, featureLevel, report: describeAdapter(adapter.info ?? {}, api) };
    }
    tried.push(`${api}: no adapter`);
  }
  throw new Error(`Dawn found no WebGPU adapter (${tried.join('; ')})`);
}
