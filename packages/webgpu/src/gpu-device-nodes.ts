/**
 * Whether a hardware GPU can exist here, from the device nodes a GPU driver makes (Linux only). Dawn for Node, when
 * probed on a machine without a GPU, loads Mesa's software drivers and prints their complaints (`XDG_RUNTIME_DIR is
 * invalid`, Vulkan warnings) to the process's stderr, and finds only a software adapter, which backend selection
 * would not take by default anyway. So where no node exists, selection does not load Dawn at all.
 */

/** Device nodes of GPU drivers: DRM render nodes (Mesa: AMD, Intel, …), NVIDIA's, and WSL2's GPU paravirtualisation. */
const GPU_NODES: readonly { dir: string; pattern: RegExp }[] = [
  { dir: '/dev/dri', pattern: /^renderD\d+$/ },
  { dir: '/dev', pattern: /^(nvidia\d+|dxg)$/ },
];

/**
 * The GPU device nodes on a Linux machine (`list` reads a folder's names, [] when it cannot); null on other platforms,
 * where GPUs are not device files (macOS, Windows) and only Dawn can tell.
 */
export function gpuDeviceNodes(platform: string, list: (dir: string) => readonly string[]): string[] | null {
  if (platform !== 'linux') return null;
  return GPU_NODES.flatMap(({ dir, pattern }) => list(dir).filter((n) => pattern.test(n)).map((n) => `${dir}/${n}`));
}

/** Why no hardware adapter can be found on this machine, or undefined when one may be (or the platform cannot say). */
export async function noHardwareGpu(): Promise<string | undefined> {
  const { readdirSync } = await import('node:fs'); // on demand: this package imports in a browser
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  const nodes = gpuDeviceNodes(process.platform, list);
  if (nodes === null || nodes.length > 0) return undefined;
  return 'no GPU device on this machine (no /dev/dri/renderD*, /dev/nvidia*, /dev/dxg), so no hardware adapter: Dawn not loaded; PEFT_BACKEND=webgpu tries software adapters too';
}
