// Starts the throw-away Verdaccio of verdaccio-server.mjs as a child process and says where it listens; `close()` stops
// it (by its process id) and waits for it to remove its storage.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const server = fileURLToPath(new URL('./verdaccio-server.mjs', import.meta.url));

export interface Registry {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  /** Where it keeps the packages (removed when it closes). */
  readonly storage: string;
  readonly pid: number;
  close(): Promise<void>;
}

export function startRegistry({ timeoutMs = 60_000 }: { timeoutMs?: number } = {}): Promise<Registry> {
  const child = spawn(process.execPath, [server], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      void close();
      reject(new Error(`Verdaccio did not start within ${timeoutMs / 1000} s:\n${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      const { url, storage } = JSON.parse(line) as { url: string; storage: string };
      resolve({ url, storage, pid: child.pid!, close });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Verdaccio exited (${code}) before listening:\n${stderr}`));
    });
  });
}
