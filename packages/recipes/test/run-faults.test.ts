// The fast part of the run fault battery (the rest: run-faults.e2e.test.ts): kill -9 at 3 moments, SIGINT and the
// printed resume command, a torn train.jsonl line with orphaned temporary files, a folder with no checkpoint, lr 1e38,
// and paths that are not directories, loop or cannot take folders. Each case: exit code, message, nothing lost.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, statSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allFiniteFile, cli, ENV, expectCleanError, expectSameRun, killFinishCompare, listFiles, makeData, peft, peftUntil, plantOrphanTemps, runArgs,
} from './run-faults.js';

const root = mkdtempSync(join(tmpdir(), 'peft-run-faults-'));
let data = '';
const reference = join(root, 'reference');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('run faults (fast part): every interrupted run resumes byte-identical; every fault named', () => {
  beforeAll(() => {
    expect(existsSync(cli), 'build @peft/recipes first (npm run build)').toBe(true);
    data = makeData(root);
    const r = peft(runArgs(data, reference));
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
  }, 120_000);

  it('kill -9 at 3 moments (mid-run after step 7, a checkpoint write, an adapter write): each resumed run equals the uninterrupted one', async () => {
    const plans = [{ afterStep: 7, ms: 20 }, { target: 'checkpoint.safetensors', count: 3 }, { target: 'adapter_model.safetensors', count: 2 }];
    for (const [i, plan] of plans.entries()) {
      const r = await killFinishCompare(data, root, reference, plan, i);
      process.stderr.write(`run-faults: ${r.line}\n`);
    }
  }, 240_000);

  it('SIGINT: stops at a step with a checkpoint, exit 130, prints the exact resume command; that command (after a torn log line and orphaned temp files) ends identical', async () => {
    const out = join(root, 'sigint');
    const r = await peftUntil(runArgs(data, out), 'SIGINT', (stderr) => /new best perplexity/.test(stderr));
    expect(r.sent).toBe(true);
    expect(r.code, r.stderr.slice(-2000)).toBe(130);
    const m = /^peft: error: interrupted: stopped at step (\d+); resume with: (peft train .+ --resume)$/m.exec(r.stderr);
    expect(m, r.stderr.slice(-2000)).not.toBeNull();
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(`${out}.partial`, 'checkpoint.safetensors'))).toBe(true);
    // what a full disk or a kill mid-append leaves, and what a killed atomic write leaves
    appendFileSync(join(`${out}.partial`, 'train.jsonl'), '{"type":"step","step":99,"lo');
    const planted = plantOrphanTemps(`${out}.partial`);
    const resumed = spawnSync('bash', ['-c', `peft() { "${process.execPath}" "${cli}" "$@"; }; ${m![2]}`], { encoding: 'utf8', env: ENV });
    expect(resumed.status, resumed.stderr.slice(-2000)).toBe(0);
    expect(resumed.stderr).toContain(`resumed from step ${m![1]}`);
    expect(resumed.stderr).toMatch(/train\.jsonl:\d+: dropped a torn last line/);
    expect(resumed.stderr).toContain(`removed 2 temporary file(s)`);
    for (const f of planted) expect(existsSync(f)).toBe(false);
    expectSameRun(out, reference, 'SIGINT then the printed resume command');
  }, 120_000);

  it('a folder killed before its first checkpoint: a plain rerun replaces it (and says so) and equals the uninterrupted run', () => {
    const out = join(root, 'no-checkpoint');
    mkdirSync(`${out}.partial/adapter`, { recursive: true });
    writeFileSync(join(`${out}.partial`, 'train.jsonl'), '');
    const r = peft(runArgs(data, out));
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).toContain('an interrupted run that wrote no checkpoint; starting it again');
    expectSameRun(out, reference, 'rerun over a folder with no checkpoint');
  }, 120_000);

  it('a folder a live run holds: a second run and a --resume are refused (exit 1, an environment error: a sweep retries it; the pid named); the first run ends identical', async () => {
    const out = join(root, 'busy');
    const first = spawn(process.execPath, [cli, ...runArgs(data, out)], { env: ENV, stdio: 'ignore' });
    const ended = new Promise<number | null>((resolve) => first.on('close', (code) => resolve(code)));
    try {
      while (!existsSync(join(`${out}.partial`, '.peft-run.pid'))) await new Promise((r) => setTimeout(r, 5));
      first.kill('SIGSTOP'); // alive, but still: a second run meets it however slow the machine is
      for (const extra of [[], ['--resume']]) {
        expectCleanError(peft(runArgs(data, out, extra)), 1, `${out}.partial is in use by a running peft (pid ${first.pid})`);
      }
    } finally {
      first.kill('SIGCONT');
    }
    expect(await ended).toBe(0);
    expectSameRun(out, reference, 'the run a second one was refused next to');
  }, 120_000);

  it('--lr 1e38: stops at the step whose loss is NaN, exit 1, no NaN adapter saved as best, the checkpoint kept is finite', () => {
    const out = join(root, 'lr-1e38');
    const r = peft(runArgs(data, out, ['--lr', '1e38']));
    expectCleanError(r, 1, /^peft: error: step \d+: (the loss|the gradient norm|validation perplexity) \(-?(NaN|Infinity)\) is not finite; .*the run folder keeps the checkpoint of step \d+/);
    expect(r.stderr).not.toMatch(/new best perplexity (NaN|Infinity)/);
    expect(existsSync(out)).toBe(false);
    const ckpt = join(`${out}.partial`, 'checkpoint.safetensors');
    expect(existsSync(ckpt)).toBe(true);
    expect(allFiniteFile(ckpt)).toBe(true);
    if (existsSync(join(`${out}.partial`, 'adapter', 'adapter_model.safetensors'))) expect(allFiniteFile(join(`${out}.partial`, 'adapter', 'adapter_model.safetensors'))).toBe(true);
  }, 120_000);

  // root is needed to run the command as another user; the battery runs as root here and in CI
  it.runIf(process.getuid?.() === 0 || process.env.CI === 'true')('--out in a folder the user may not write (EACCES): exit 1, the folder and errno named', () => {
    chmodSync(root, 0o755); // mkdtemp's 0700 would stop the user one level up
    const closed = join(root, 'closed');
    mkdirSync(closed, { mode: 0o755 });
    // the user must reach the command and the data: a checkout inside a 0700 folder (mktemp -d) is opened for the test
    const reopen = [cli, data].map(letOthersThrough);
    let r;
    try {
      r = spawnSync(process.execPath, [cli, ...runArgs(data, join(closed, 'run'))], { encoding: 'utf8', env: { ...ENV, HOME: tmpdir() }, uid: 65534, gid: 65534 });
    } finally {
      for (const close of reopen) close();
    }
    expectCleanError({ code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }, 1, `${join(closed, 'run.partial')}: cannot create a directory: permission denied (EACCES)`);
    expect(listFiles(closed)).toEqual([]);
  }, 60_000);

  it('--out through a file or onto one (ENOTDIR), a symlink loop (ELOOP) or under /proc: exit 1, the path and errno named, at once, nothing touched', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    const loop = join(root, 'loop');
    symlinkSync(loop, loop);
    const blocked = join(root, 'blocked');
    writeFileSync(`${blocked}.partial`, 'a user file');
    for (const [out, named] of [
      [blocked, [`${blocked}.partial: cannot use it as the run folder (a file of that name is in the way)`, '(ENOTDIR)']],
      [join(file, 'run'), [`${file}: cannot create`, '(ENOTDIR)']],
      [join(loop, 'run'), [loop, '(ELOOP)']],
      ['/proc/peft-run', ['/proc/peft-run.partial', 'accepts no new entries', '(ENOENT)']],
    ] as const) {
      const t0 = Date.now();
      const r = peft(runArgs(data, out));
      expectCleanError(r, 1, ...named);
      expect(Date.now() - t0).toBeLessThan(30_000);
    }
    expect(listFiles(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe('x');
    expect(readFileSync(`${blocked}.partial`, 'utf8')).toBe('a user file');
  }, 120_000);
});

/**
 * Lets another user traverse the folders above `path` (o+x where missing, e.g. a clone inside mktemp -d's 0700 folder);
 * returns what puts their modes back.
 */
function letOthersThrough(path: string): () => void {
  const changed: [string, number][] = [];
  for (let d = dirname(resolve(path)); d !== dirname(d); d = dirname(d)) {
    const mode = statSync(d).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      changed.push([d, mode]);
      chmodSync(d, mode | 0o001);
    }
  }
  return () => {
    for (const [d, mode] of changed.reverse()) chmodSync(d, mode);
  };
}
