// What the sweep's queue tests share: a private redis-server on a loopback port, `peft worker` processes, polling, a
// tiny SST-2, and a process's thread count and resident memory from /proc.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { fileURLToPath } from 'node:url';

export const cli = fileURLToPath(new URL('../../recipes/dist/cli.js', import.meta.url));
export const env = { ...process.env, PEFT_BACKEND: 'cpu' };
export const haveRedis = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
export { underCi as inCi } from '../../../test/ci.js';

/** A tiny SST-2: sentences of positive or negative words, labelled accordingly. */
export function sst2Rows(n: number, seed: number, positiveShare = 0.5): string {
  const pos = ['good', 'great', 'charming', 'fine', 'lovely', 'moving', 'bright', 'warm'];
  const neg = ['bad', 'dull', 'bleak', 'awful', 'weak', 'cold', 'flat', 'grim'];
  let s = seed;
  const rand = (k: number): number => ((s = (s * 1103515245 + 12345) % 2147483648), (s >>> 16) % k); // the high bits: an LCG's low bits cycle
  const rows = ['sentence\tlabel'];
  for (let i = 0; i < n; i++) {
    const label = rand(1000) < positiveShare * 1000 ? 1 : 0;
    const words = Array.from({ length: 4 }, (_, j) => (j < 3 ? (label ? pos : neg) : j % 2 ? pos : neg)[rand(8)]);
    rows.push(`the film is ${words.join(' and ')} \t${label}`);
  }
  return rows.join('\n') + '\n';
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function until<T>(what: string, f: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs: number, logs: () => string = () => ''): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${logs()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  proc: ChildProcess;
  /** Starts it again on the same port and folder (after a kill), with the same persistence. */
  restart(): Promise<void>;
  kill(): Promise<void>;
}

/** redis-server on 127.0.0.1; `persist`: an append-only file (fsync always) in `dir`, else nothing kept on disk. */
export async function startRedis(dir: string, persist = false): Promise<RedisServer> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...(persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'])];
  const launch = async (): Promise<ChildProcess> => {
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await until('redis-server', () => /Ready to accept connections/.test(out), 10_000, () => out);
    return proc;
  };
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    proc: await launch(),
    restart: async () => {
      server.proc = await launch();
    },
    kill: async () => {
      const p = server.proc;
      if (p.exitCode !== null || p.signalCode !== null) return;
      p.kill('SIGKILL');
      await until('redis-server to die', () => p.signalCode !== null || p.exitCode !== null, 5_000);
    },
  };
  return server;
}

export interface Running {
  readonly proc: ChildProcess;
  lines: string[];
}

export function startWorker(name: string, url: string, queue: string, extra: readonly string[] = []): Running {
  const proc = spawn(process.execPath, [cli, 'worker', '--redis', url, '--queue', queue, '--name', name, '--lock-duration', '2000', '--stalled-interval', '500', ...extra], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const r: Running = { proc, lines: [] };
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    r.lines.push(...parts);
  });
  proc.stderr!.on('data', (d: Buffer) => r.lines.push(`stderr: ${d.toString().trim()}`));
  return r;
}

export function peft(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A process's threads (`/proc/<pid>/task`) and resident memory in bytes (VmRSS), or null once it is gone. */
export function procSample(pid: number): { threads: number; rss: number } | null {
  try {
    const threads = readdirSync(`/proc/${pid}/task`).length;
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? { threads, rss: Number(kb[1]) * 1024 } : null;
  } catch {
    return null;
  }
}

/** Samples every child a worker starts (its log line `start|resume <id> (attempt n, pid P)`) until stopped. */
export interface JobPeak {
  /** The most threads and bytes resident seen, and the thread count of every sample in order. */
  readonly threads: number;
  readonly rss: number;
  readonly series: readonly number[];
}

export function sampleJobs(workers: readonly Running[], everyMs = 250): { stop: () => Map<string, JobPeak> } {
  const peaks = new Map<string, JobPeak>();
  const timer = setInterval(() => {
    for (const w of workers) {
      for (const l of w.lines) {
        const m = /: (?:start|resume) (\S+) \(attempt \d+, pid (\d+)\)/.exec(l);
        if (!m) continue;
        const s = procSample(Number(m[2]));
        if (!s) continue;
        const p = peaks.get(m[1]!) ?? { threads: 0, rss: 0, series: [] };
        peaks.set(m[1]!, { threads: Math.max(p.threads, s.threads), rss: Math.max(p.rss, s.rss), series: [...p.series, s.threads] });
      }
    }
  }, everyMs);
  return { stop: () => (clearInterval(timer), peaks) };
}

export function writeSst2(dir: string, train = 48, dev = 16): void {
  mkdirSync(join(dir, 'sst2', 'SST-2'), { recursive: true });
  writeFileSync(join(dir, 'sst2', 'SST-2', 'train.tsv'), sst2Rows(train, 1));
  writeFileSync(join(dir, 'sst2', 'SST-2', 'dev.tsv'), sst2Rows(dev, 2, 0.75));
}

/** The most threads of the second half of a run's samples minus the most of its first half: ≈ 0 when bounded. */
export function threadGrowth(series: readonly number[]): number {
  const half = Math.floor(series.length / 2);
  return Math.max(...series.slice(half)) - Math.max(...series.slice(0, half));
}

/**
 * A suite's temporary folder with its workers and its Redis: inside a `describe`, registers their end (workers killed,
 * Redis stopped, the folder removed) after the suite. Set `redis` once it is started.
 */
export function sweepWorkspace(prefix: string): { readonly work: string; readonly workers: Running[]; redis: RedisServer | undefined } {
  const ws = { work: mkdtempSync(join(tmpdir(), prefix)), workers: [] as Running[], redis: undefined as RedisServer | undefined };
  afterAll(async () => {
    for (const w of ws.workers) w.proc.kill('SIGKILL');
    await ws.redis?.kill();
    rmSync(ws.work, { recursive: true, force: true });
  });
  return ws;
}
