// Helpers of the run fault battery (run-faults.test.ts, the fast part in `npm test`; run-faults.e2e.test.ts, the rest):
// a tiny WebNLG run of the BUILT `peft` command, killed, stopped, starved of disk or fed hostile files, then compared
// byte for byte with an uninterrupted run. Every hostile file is generated here; nothing is committed.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '../../..');
export const cli = join(here, '../dist/cli.js');
export const tinyGpt2 = join(repo, 'test-fixtures/tiny-gpt2');

/** The run every case trains: 3 WebNLG examples, 2 steps an epoch, 10 epochs (a validation, a best adapter and a checkpoint each). */
export function runArgs(data: string, out: string, extra: readonly string[] = []): string[] {
  return ['train', 'webnlg', '--model', tinyGpt2, '--data', data, '--batch-size', '2', '--test-entries', '0', '--checkpoint-every', '3', '--out', out, ...extra];
}

/** A data folder of the fixture WebNLG file as train, dev and test split. */
export function makeData(root: string): string {
  const dir = join(root, 'data');
  const split = join(dir, 'webnlg/webnlg_challenge_2017');
  mkdirSync(split, { recursive: true });
  for (const f of ['train', 'dev', 'test']) copyFileSync(join(here, 'fixtures/webnlg-mini.json'), join(split, `${f}.json`));
  return dir;
}

export const ENV = { ...process.env, PEFT_BACKEND: 'cpu' };

export interface Ran {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function peft(args: readonly string[], cwd?: string): Ran {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: ENV, ...(cwd ? { cwd } : {}) });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Starts `peft` and kills it (`signal`) when `when` says so; `when` is polled every millisecond with the stderr so far
 * and the time since the start. Resolves when the process has ended.
 */
export function peftUntil(args: readonly string[], signal: NodeJS.Signals, when: (stderr: string, ms: number) => boolean): Promise<Ran & { sent: boolean }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const p = spawn(process.execPath, [cli, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setInterval(() => {
      if (!sent && when(stderr, Date.now() - t0)) {
        sent = true;
        p.kill(signal);
      }
    }, 1);
    p.on('error', reject);
    p.on('close', (code, sig) => {
      clearInterval(timer);
      resolve({ code, signal: sig, stdout, stderr, sent });
    });
  });
}

/** A kill aimed at a write: true once a temporary file of `target` has been seen in the run folder `count` times. */
export function tempFileSeen(partial: string, target: string, count: number): () => boolean {
  let seen = 0;
  let last = '';
  return () => {
    for (const dir of [partial, join(partial, 'adapter')]) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      const tmp = names.find((n) => n.startsWith(`.${target}.`) && n.endsWith('.tmp'));
      if (tmp && tmp !== last) {
        last = tmp;
        seen++;
      }
    }
    return seen >= count;
  };
}

/** Files under `dir`, relative, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** train.jsonl without the wall-clock field (the one thing two identical runs write differently). */
export function jsonlWithoutTimes(path: string): string {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      delete r.seconds;
      return JSON.stringify(r);
    })
    .join('\n');
}

/** `out` holds the same files as `reference`, byte for byte (train.jsonl without its times), and no temporary file. */
export function expectSameRun(out: string, reference: string, what: string): void {
  const files = listFiles(out);
  expect(files.filter((f) => f.endsWith('.tmp')), `${what}: stray temporary files`).toEqual([]);
  expect(files, what).toEqual(listFiles(reference));
  for (const f of files) {
    if (f === 'train.jsonl') expect(jsonlWithoutTimes(join(out, f)), `${what}: ${f}`).toBe(jsonlWithoutTimes(join(reference, f)));
    else expect(readFileSync(join(out, f)).equals(readFileSync(join(reference, f))), `${what}: ${f} differs`).toBe(true);
  }
}

/** A message for a user: one `peft:` line naming what it must, no stack trace, no "unexpected error". */
export function expectCleanError(r: Ran, code: number, ...mustName: (string | RegExp)[]): void {
  expect(r.code, r.stderr.slice(-2000)).toBe(code);
  expect(r.stderr).not.toMatch(/unexpected error|\n\s+at .+:\d+:\d+/);
  const line = r.stderr.split('\n').find((l) => l.startsWith('peft: '));
  expect(line, r.stderr.slice(-2000)).toBeDefined();
  for (const m of mustName) {
    if (typeof m === 'string') expect(line).toContain(m);
    else expect(line).toMatch(m);
  }
}

/**
 * After a kill: finishes the run the way a user would — nothing to do if it had finished; `--resume` when the folder
 * holds a checkpoint (or when `preferResume`); otherwise a plain rerun, which replaces a folder with no checkpoint.
 */
export function finishAfterKill(data: string, out: string, preferResume: boolean): { how: string; ran: Ran | null } {
  if (existsSync(out)) return { how: 'had finished', ran: null };
  const partial = `${out}.partial`;
  const hasCheckpoint = existsSync(join(partial, 'checkpoint.safetensors'));
  const resume = existsSync(partial) && (hasCheckpoint || preferResume);
  const ran = peft(runArgs(data, out, resume ? ['--resume'] : []));
  return { how: resume ? (hasCheckpoint ? 'resumed' : 'resumed from step 0') : existsSync(partial) ? 'rerun' : 'rerun', ran };
}

/** Orphaned temporary files of a pid no process can have (above the kernel's pid_max). */
export function plantOrphanTemps(partial: string): string[] {
  const pid = 4194999;
  const files = [join(partial, `.checkpoint.safetensors.${pid}.deadbeef.tmp`), join(partial, 'adapter', `.adapter_model.safetensors.${pid}.0badf00d.tmp`)];
  mkdirSync(join(partial, 'adapter'), { recursive: true });
  for (const f of files) writeFileSync(f, 'half a write');
  return files;
}

/** Overwrites every float of tensor `name` in a safetensors file with NaN. */
export function poisonTensor(file: string, match: (name: string) => boolean): string {
  const buf = readFileSync(file);
  const headerLength = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const name = Object.keys(header).find((k) => k !== '__metadata__' && match(k));
  if (!name) throw new Error(`no tensor to poison in ${file}`);
  const { dtype, data_offsets: [a, b] } = header[name]!;
  if (dtype !== 'F32') throw new Error(`${name} is ${dtype}`);
  for (let o = 8 + headerLength + a; o < 8 + headerLength + b; o += 4) buf.writeFloatLE(NaN, o);
  writeFileSync(file, buf);
  return name;
}

/** Every F32 value of a safetensors file is finite. */
export function allFiniteFile(file: string): boolean {
  const buf = readFileSync(file);
  const headerLength = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  for (const [k, t] of Object.entries(header)) {
    if (k === '__metadata__' || t.dtype !== 'F32') continue;
    for (let o = 8 + headerLength + t.data_offsets[0]; o < 8 + headerLength + t.data_offsets[1]; o += 4) if (!Number.isFinite(buf.readFloatLE(o))) return false;
  }
  return true;
}

/**
 * Mounts a tmpfs of `size` at `dir` (the battery runs as root here and in CI). Returns false if it cannot; a caller
 * under CI=true must fail then, not skip.
 */
export function mountTmpfs(dir: string, size: string): boolean {
  mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status === 0;
}

export function remount(dir: string, options: string): void {
  const r = spawnSync('mount', ['-o', `remount,${options}`, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount -o remount,${options} ${dir}: ${r.stderr}`);
}

export function unmount(dir: string): void {
  if (existsSync(dir) && isMountPoint(dir)) spawnSync('umount', ['-l', dir]);
}

function isMountPoint(dir: string): boolean {
  try {
    return statSync(dir).dev !== statSync(join(dir, '..')).dev;
  } catch {
    return false;
  }
}

/** Whether this process may mount file systems (root on Linux, with mount(8)). */
export function canMount(scratch: string): boolean {
  const probe = join(scratch, 'mount-probe');
  const ok = mountTmpfs(probe, '16k');
  if (ok) unmount(probe);
  return ok;
}

/** A small deterministic random number generator (mulberry32), so a failing kill moment can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Where a kill -9 lands: `ms` after the start (before training: the model is loading), `ms` after train.jsonl shows
 * step `afterStep` (a moment of the run, whatever the machine's speed), or at the `count`-th temporary file of an atomic
 * write of `target`.
 */
export type KillPlan =
  | { readonly ms: number; readonly afterStep?: number }
  | { readonly target: string; readonly count: number };

export function describeKill(k: KillPlan): string {
  if (!('ms' in k)) return `at write ${k.count} of ${k.target}`;
  return k.afterStep === undefined ? `at ${k.ms} ms` : `${k.ms} ms after step ${k.afterStep}`;
}

/** True `ms` after train.jsonl holds `step` step records. */
function stepSeen(partial: string, step: number, ms: number): () => boolean {
  let since: number | null = null;
  return () => {
    if (since === null) {
      let text = '';
      try {
        text = readFileSync(join(partial, 'train.jsonl'), 'utf8');
      } catch {
        return false;
      }
      if ((text.match(/"type":"step"/g) ?? []).length >= step) since = Date.now();
      else return false;
    }
    return Date.now() - since >= ms;
  };
}

/**
 * Kills a run with SIGKILL as `plan` says, finishes it as a user would (see {@link finishAfterKill}) and asserts the
 * result is the reference run byte for byte with no temporary file left. Returns a line for the battery's log.
 */
export async function killFinishCompare(data: string, root: string, reference: string, plan: KillPlan, i: number): Promise<{ killed: boolean; tempsLeft: number; how: string; line: string }> {
  const out = join(root, `kill-${i}`);
  const partial = `${out}.partial`;
  const aimed = !('ms' in plan) ? tempFileSeen(partial, plan.target, plan.count) : plan.afterStep !== undefined ? stepSeen(partial, plan.afterStep, plan.ms) : null;
  const r = await peftUntil(runArgs(data, out), 'SIGKILL', (_s, ms) => (aimed ? aimed() : ms >= (plan as { ms: number }).ms));
  const killed = r.sent && r.signal === 'SIGKILL';
  if (!killed) expect(r.code, r.stderr.slice(-2000)).toBe(0);
  const tempsLeft = existsSync(partial) ? listFiles(partial).filter((f) => f.endsWith('.tmp')).length : 0;
  const { how, ran } = finishAfterKill(data, out, i % 2 === 0);
  if (ran) expect(ran.code, ran.stderr.slice(-2000)).toBe(0);
  if (ran && tempsLeft) expect(ran.stderr).toMatch(/removed \d+ temporary file/);
  expectSameRun(out, reference, `kill ${i} ${describeKill(plan)} (${how})`);
  return { killed, tempsLeft, how, line: `kill ${i} ${describeKill(plan)}: ${killed ? 'killed' : 'finished first'}, ${tempsLeft} temp file(s) left, ${how}, identical` };
}
