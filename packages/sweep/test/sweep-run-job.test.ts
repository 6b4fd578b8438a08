import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SweepJob } from '../src/plan.js';
import { JobCrashError, JobPermanentError, runSweepJob } from '../src/run-job.js';

const work = mkdtempSync(join(tmpdir(), 'peft-sweep-job-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const job: SweepJob = { id: 's/sst2-p-s1', sweep: 's', run: 'sst2-p-s1', task: 'sst2', preset: 'p', seed: 1, model: '/m', root: join(work, 'runs'), flags: { 'max-steps': 4 } };

/** A stand-in for the peft CLI: records its arguments, then behaves as told by the FAKE environment variable. */
const fake = join(work, 'fake-peft.mjs');
writeFileSync(fake, `
import { writeFileSync, mkdirSync, renameSync } from 'node:fs';
const args = process.argv.slice(2);
writeFileSync(process.env.ARGS_FILE, JSON.stringify(args));
const out = args[args.indexOf('--out') + 1];
switch (process.env.FAKE) {
  case 'ok':
    mkdirSync(out + '.partial', { recursive: true });
    writeFileSync(out + '.partial/train.jsonl', JSON.stringify({ type: 'step', step: 4, loss: 0.5 }) + '\\n');
    writeFileSync(out + '.partial/metrics.json', JSON.stringify({ accuracy: 0.75 }));
    renameSync(out + '.partial', out);
    console.log(JSON.stringify({ out, steps: 4 }));
    break;
  case 'usage': console.error("peft: --max-steps must be an integer ≥ 1, got 'x'\\n(peft --help for usage)"); process.exit(2);
  case 'typed': console.error('peft: error: /data/mnli/train.tsv: mnli training file not found'); process.exit(1);
  case 'crash': console.error('peft: unexpected error: RangeError: boom\\n    at x (y.js:1:1)'); process.exit(1);
  case 'killed': process.kill(process.pid, 'SIGKILL');
}
`);

function run(behaviour: string, root = job.root) {
  const argsFile = join(work, `args-${behaviour}.json`);
  const p = runSweepJob({ job, root, cli: fake, env: { ...process.env, FAKE: behaviour, ARGS_FILE: argsFile } });
  return { p, args: (): string[] => JSON.parse(readFileSync(argsFile, 'utf8')) as string[] };
}

describe('one sweep job as a peft train child', () => {
  it('exit 2 (usage) and a typed error (peft: error:) are permanent; an unexpected error or a signal is a crash (retried)', async () => {
    await expect(run('usage').p).rejects.toThrow(new JobPermanentError('sst2-p-s1', "--max-steps must be an integer ≥ 1, got 'x'"));
    await expect(run('typed').p).rejects.toThrow(new JobPermanentError('sst2-p-s1', '/data/mnli/train.tsv: mnli training file not found'));
    const crash = run('crash').p;
    await expect(crash).rejects.toBeInstanceOf(JobCrashError);
    await expect(crash).rejects.toThrow(/exited with 1: RangeError: boom/);
    await expect(run('killed').p).rejects.toThrow(new JobCrashError('sst2-p-s1', 'peft train was killed by SIGKILL'));
  });

  it('starts fresh, resumes when the partial run holds a checkpoint, starts over when it holds none, and returns a finished run without running', async () => {
    const root = join(work, 'r2');
    const out = join(root, job.run);
    mkdirSync(`${out}.partial`, { recursive: true }); // an attempt that died before its first checkpoint
    writeFileSync(`${out}.partial/train.jsonl`, '');
    const fresh = run('ok', root);
    const r = await fresh.p;
    expect(fresh.args()).not.toContain('--resume');
    expect(fresh.args().slice(-2)).toEqual(['--out', out]);
    expect(r).toEqual({ run: job.run, out, steps: 4, metrics: { accuracy: 0.75 }, resumedFrom: null, alreadyFinished: false });
    // the run is done: a later attempt (its worker died before telling the queue) returns it as it is
    const again = await runSweepJob({ job, root, cli: join(work, 'no-such-cli.mjs') });
    expect(again).toEqual({ ...r, alreadyFinished: true });
    // a partial run with a checkpoint is resumed
    const root3 = join(work, 'r3');
    mkdirSync(join(root3, `${job.run}.partial`), { recursive: true });
    writeFileSync(join(root3, `${job.run}.partial`, 'checkpoint.safetensors'), '');
    const resumed = run('ok', root3);
    expect((await resumed.p).resumedFrom).toBeNull(); // the fake prints no 'resumed from step'
    expect(resumed.args()).toContain('--resume');
    expect(existsSync(join(root3, job.run))).toBe(true);
  });
});
