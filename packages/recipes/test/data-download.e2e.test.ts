import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_CATALOGUE } from '../src/index.js';
import { haveSharedData, SHARED_DATA } from '../../../test/shared-data.js';
import { startMirror, type LoopbackMirror } from './loopback-mirror.js';

const cli = fileURLToPath(new URL('../bin/peft.js', import.meta.url));
const WEBNLG = DATA_CATALOGUE.webnlg!.files.map((f) => f.path);
const TRAIN = 'webnlg/webnlg_challenge_2017/train.json';

/** Runs a command to its end without blocking this process (which serves the mirror). */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// The built `peft` as a user runs it, killed with SIGKILL in the middle of a download and run again.
describe.runIf(haveSharedData(...WEBNLG))('peft data get webnlg, killed with kill -9 and run again', () => {
  let mirror: LoopbackMirror;
  let home: string;
  beforeAll(async () => {
    mirror = await startMirror(SHARED_DATA);
    home = mkdtempSync(join(tmpdir(), 'peft-data-kill-'));
  });
  afterAll(async () => {
    await mirror.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('leaves only a partial file; the next run resumes it (HTTP Range) and every file is byte-identical', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PEFT_HOME: home };
    for (const k of ['PEFT_DATA_MIRROR', 'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) delete env[k]; // the loopback mirror, reached directly
    const partial = join(home, 'data', `${TRAIN}.partial`);
    mirror.throttle = 64 * 1024; // 64 KiB per 20 ms: the 20.8 MB train.json takes ~6 s
    const child = spawn(process.execPath, [cli, 'data', 'get', 'webnlg', '--mirror', mirror.url], { env, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const t0 = Date.now();
    while (!(existsSync(partial) && statSync(partial).size > 2_000_000)) {
      if (Date.now() - t0 > 60_000) throw new Error('the download never got past 2 MB');
      await sleep(50);
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    mirror.throttle = undefined;
    const kept = statSync(partial).size;
    expect(kept).toBeGreaterThan(2_000_000);
    expect(kept).toBeLessThan(statSync(join(SHARED_DATA, TRAIN)).size);
    expect(existsSync(join(home, 'data', TRAIN))).toBe(false); // nothing half-written where a reader looks

    const again = await run([cli, 'data', 'get', 'webnlg', '--mirror', mirror.url], env); // not spawnSync: the mirror is in this process
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(join(home, 'data'));
    const resumed = mirror.requests.filter((q) => q.url.endsWith('/train.json')).at(-1)!;
    expect(resumed.range).toBe(`bytes=${kept}-`); // resumed where the killed run stopped
    for (const f of WEBNLG) expect(readFileSync(join(home, 'data', f)).equals(readFileSync(join(SHARED_DATA, f))), f).toBe(true);
    expect(existsSync(partial)).toBe(false);

    const list = spawnSync(process.execPath, [cli, 'data', 'list'], { env, encoding: 'utf8' });
    expect(list.stdout).toMatch(/^webnlg: .*; 34 files, 36\.0 MB; cached$/m);
  });
});
