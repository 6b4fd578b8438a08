/**
 * Node file helpers, loaded on first use so that importing @peft/core in a browser pulls in no `node:` module.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const { writeFileAtomic: write } = await import('./atomic.js');
  return write(path, data);
}

/** `mkdir -p` whose failure is a FileSystemError naming the folder at fault (see atomic.ts). */
export async function makeDirectory(path: string): Promise<void> {
  const { makeDirectory: make } = await import('./atomic.js');
  return make(path);
}

/** Removes the temporary files a killed writeFileAtomic left under `dir`; returns their paths. */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  const { removeStaleTempFiles: clean } = await import('./atomic.js');
  return clean(dir);
}

/** Whether a process with this id is running (Node; `process.kill(pid, 0)` probes without signalling). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}
