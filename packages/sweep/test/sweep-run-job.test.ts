import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TRAIN_EVENTS_VERSION } from '@peft/recipes';
import type { SweepJob } from '../src/plan.js';
import { JobCrashError, JobPermanentError, runSweepJob } from '../src/run-job.js';

const work = mkdtempSync(join(tmpdir(), 'peft-sweep-job-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const job: SweepJob = { id: 's/sst2-p-s1', sweep: 's', run: 'sst2-p-s1', task: 'sst2', preset: 'p', seed: 1, model: '/m', root: join(work, 'runs'), flags: { 'max-steps': 4 } };

/**
 * A stand-in for the peft CLI: records its arguments, then behaves as told by the FAKE environment variable, writing
 * its events where `--events` says (the worker's pipe) — and, on stderr, lines that must not matter.
 */
const fake = join(work, 'fake-peft.mjs');
writeFileSync(fake, `
import { writeSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
const args = process.argv.slice(2);
writeFileSync(process.env.ARGS_FILE, JSON.stringify(args));
const out = args[args.indexOf('--out') + 1];
const eventsFd = Number(/^\\/dev\\/fd\\/(\\d+)$/.exec(args[args.indexOf('--events') + 1])[1]);
const emit = (e) => writeSync(eventsFd, JSON.stringify({ v: ${TRAIN_EVENTS_VERSION}, time: new Date().toISOString(), ...e }) + '\\n');
console.error('peft: error: this human line is not read');
switch (process.env.FAKE) {
  case 'ok':
  case 'resumed':
    mkdirSync(out + '.partial', { recursive: true });
    emit({ type: 'started', task: 'sst2', preset: 'p', model: '/m', out, seed: 1, total_steps: 4, train_examples: 16, resume: process.env.FAKE === 'resumed' });
    if (process.env.FAKE === 'resumed') emit({ type: 'resumed', step: 2 });
    writeFileSync(out + '.partial/train.jsonl', JSON.stringify({ type: 'step', step: 4, loss: 0.5 }) + '\\n');
    emit({ type: 'step', step: 4, total_steps: 4, epoch: 0, loss: 0.5, lr: 0.1 });
    writeFileSync(out + '.partial/metrics.json', JSON.stringify({ accuracy: 0.75 }));
    renameSync(out + '.partial', out);
    emit({ type: 'finished', out, steps: 4, metrics: { accuracy: 0.75 }, first_loss: 0.7, last_loss: 0.5 });
    console.log(JSON.stringify({ out, steps: 4 }));
    break;
  case 'overlapped':
    // another attempt of the job finishes the run meanwhile; this one then meets the final folder
    mkdirSync(out, { recursive: true });
    writeFileSync(out + '/metrics.json', JSON.stringify({ accuracy: 0.5 }));
    emit({ type: 'failed', kind: 'input', code: 'E_USAGE', message: out + ' already exists; choose another --out or remove it' });
    process.exit(2);
  case 'usage': process.exit(2);
  case 'typed': emit({ type: 'failed', kind: 'data', code: 'E_DATA_FILE', message: '/data/mnli/train.tsv: mnli training file not found' }); process.exit(1);
  case 'input': emit({ type: 'failed', kind: 'input', code: 'E_CONFIG', message: 'lora.rank: must be a positive integer, got 0' }); process.exit(2);
  case 'environment': emit({ type: 'failed', kind: 'environment', code: 'ENOSPC', message: 'ENOSPC: no space left on device, write' }); process.exit(1);
  case 'crash': emit({ type: 'failed', kind: 'internal', code: null, message: 'RangeError: boom' }); process.exit(1);
  case 'torn': emit({ type: 'step', step: 1, total_steps: 4, epoch: 0, loss: 0.5, lr: 0.1 }); writeSync(eventsFd, '{"v":1,"type":"fin'); process.exit(0);
  case 'killed': process.kill(process.pid, 'SIGKILL');
}
`);

function run(behaviour: string, root = job.root) {
  const argsFile = join(work, `args-${behaviour}.json`);
  const p = runSweepJob({ job, root, cli: fake, env: { ...process.env, FAKE: behaviour, ARGS_FILE: argsFile } });
  return { p, args: (): string[] => JSON.parse(readFileSync(argsFile, 'utf8')) as string[] };
}

describe('one sweep job as a peft train child', () => {
  it("takes the run another attempt of the same job finished meanwhile (two overlapped after a lost lock) instead of failing on 'already exists'", async () => {
    const root = join(work, 'overlap');
    const r = await run('overlapped', root).p;
    expect(r).toMatchObject({ run: 'sst2-p-s1', out: join(root, 'sst2-p-s1'), alreadyFinished: true, metrics: { accuracy: 0.5 } });
  });

  it('exit 2 (usage) and an input or data failure are permanent; an environment or internal failure or a signal is a crash (retried)', async () => {
    await expect(run('usage').p).rejects.toThrow(JobPermanentError);
    await expect(run('usage').p).rejects.toThrow(/rejected its options \(exit 2\)/);
    await expect(run('typed').p).rejects.toThrow(new JobPermanentError('sst2-p-s1', '/data/mnli/train.tsv: mnli training file not found'));
    await expect(run('input').p).rejects.toThrow(new JobPermanentError('sst2-p-s1', 'lora.rank: must be a positive integer, got 0'));
    const full = run('environment').p; // the machine, not the job: another attempt (maybe elsewhere) may succeed
    await expect(full).rejects.toBeInstanceOf(JobCrashError);
    await expect(full).rejects.toThrow('peft train failed (environment error): ENOSPC: no space left on device, write');
    const crash = run('crash').p;
    await expect(crash).rejects.toBeInstanceOf(JobCrashError);
    await expect(crash).rejects.toThrow('peft train failed (internal error): RangeError: boom');
    const torn = run('torn').p; // exit 0, but no complete 'finished' event: not a result
    await expect(torn).rejects.toThrow(/exited 0 without a 'finished' event \(total 4 steps\)/);
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
    expect(fresh.args().slice(-4)).toEqual(['--out', out, '--events', '/dev/fd/3']);
    expect(r).toEqual({ run: job.run, out, steps: 4, metrics: { accuracy: 0.75 }, resumedFrom: null, alreadyFinished: false });
    // the run is done: a later attempt (its worker died before telling the queue) returns it as it is
    const again = await runSweepJob({ job, root, cli: join(work, 'no-such-cli.mjs') });
    expect(again).toEqual({ ...r, alreadyFinished: true });
    // a partial run with a checkpoint is resumed
    const root3 = join(work, 'r3');
    mkdirSync(join(root3, `${job.run}.partial`), { recursive: true });
    writeFileSync(join(root3, `${job.run}.partial`, 'checkpoint.safetensors'), '');
    const resumed = run('ok', root3);
    expect((await resumed.p).resumedFrom).toBeNull(); // no 'resumed' event
    expect(resumed.args()).toContain('--resume');
    const root4 = join(work, 'r4');
    mkdirSync(join(root4, `${job.run}.partial`), { recursive: true });
    writeFileSync(join(root4, `${job.run}.partial`, 'checkpoint.safetensors'), '');
    const progress: unknown[] = [];
    const withEvent = runSweepJob({ job, root: root4, cli: fake, env: { ...process.env, FAKE: 'resumed', ARGS_FILE: join(work, 'args-r4.json') }, onProgress: (p) => progress.push(p) });
    expect((await withEvent).resumedFrom).toBe(2);
    expect(progress).toEqual([{ step: 4, total: 4, loss: 0.5 }]);
    expect(existsSync(join(root3, job.run))).toBe(true);
  });
});
