/**
 * Node file helpers, loaded on first use so that importing @peft/core in a browser pulls in no `node:` module.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const { writeFileAtomic: write } = await import('./atomic.js');
  return write(path, data);
}
