// Redis that does not answer: every sweep command says so in one line and exits 69 within a bounded time, instead of
// hanging with raw ioredis stacks. A closed port, a server that accepts and never answers, and a worker whose Redis
// goes away mid-run (it gives up after --give-up-after).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, env, freePort, haveRedis, inCi, startRedis, startWorker, until, type RedisServer, type Running } from './harness.js';

const work = mkdtempSync(join(tmpdir(), 'peft-sweep-unreachable-'));
const sweepFile = join(work, 'sweep.yaml');
const tinyRoberta = fileURLToPath(new URL('../../../test-fixtures/tiny-roberta', import.meta.url));
writeFileSync(sweepFile, `name: u\nout: runs\nmodel: ${tinyRoberta}\ntasks: [sst2]\npresets: [he-mam-glue]\nseeds: [1]\n`);

function peftAsync(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const kill = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (code) => (clearTimeout(kill), resolve({ code, stdout, stderr, seconds: (Date.now() - t0) / 1000 })));
  });
}

/** Exit 69, one line naming the URL and why, no stack, and soon. */
function expectUnreachable(r: { code: number | null; stderr: string; seconds: number }, url: string, why: RegExp, withinS: number): void {
  expect(r.code, r.stderr).toBe(69);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^peft: error: Redis at ${url.replace(/[.]/g, '\\.')} is unreachable \\(`));
  expect(lines[0]).toMatch(why);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.seconds).toBeLessThan(withinS);
}

describe('sweep commands against a Redis that does not answer', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let closedUrl = '';
  let silentUrl = '';
  beforeAll(async () => {
    closedUrl = `redis://127.0.0.1:${await freePort()}`; // nothing listens there any more
    silent = createServer((s) => void sockets.push(s)); // accepts, reads, never writes
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentUrl = `redis://127.0.0.1:${(silent.address() as { port: number }).port}`;
  });
  afterAll(() => {
    for (const s of sockets) s.destroy();
    silent.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('a closed port: sweep run, sweep status and worker exit 69 at once with one line', async () => {
    const [run, status, worker] = await Promise.all([
      peftAsync('sweep', 'run', sweepFile, '--redis', closedUrl),
      peftAsync('sweep', 'status', sweepFile, '--redis', closedUrl),
      peftAsync('worker', '--redis', closedUrl),
    ]);
    for (const r of [run, status, worker]) expectUnreachable(r, closedUrl, /ECONNREFUSED/, 30);
  });

  it('a server that accepts and never answers: sweep run, sweep status and worker exit 69 after --connect-timeout', async () => {
    const [run, status, worker] = await Promise.all([
      peftAsync('sweep', 'run', sweepFile, '--redis', silentUrl, '--connect-timeout', '1500'),
      peftAsync('sweep', 'status', sweepFile, '--redis', silentUrl, '--connect-timeout', '1500'),
      peftAsync('worker', '--redis', silentUrl, '--connect-timeout', '1500'),
    ]);
    for (const r of [run, status, worker]) {
      expectUnreachable(r, silentUrl, /no answer to PING within 1500 ms/, 30);
      expect(r.seconds).toBeGreaterThanOrEqual(1.5);
    }
  });
});

describe.runIf(haveRedis || inCi)('a worker whose Redis goes away', () => {
  let redis: RedisServer | undefined;
  const workers: Running[] = [];
  afterAll(async () => {
    for (const w of workers) w.proc.kill('SIGKILL');
    await redis?.kill();
  });

  it('says once that it lost Redis, then gives up after --give-up-after with exit 69', async () => {
    expect(haveRedis, 'redis-server is not installed (CI=true: .ci/run must install it)').toBe(true);
    redis = await startRedis(join(work, 'redis'));
    const w = startWorker('G', redis.url, `gone-${process.pid}`, ['--give-up-after', '2000']);
    workers.push(w);
    await until('the worker to wait for jobs', () => w.lines.some((l) => /waiting for jobs/.test(l)), 30_000, () => w.lines.join('\n'));
    await redis.kill();
    const t0 = Date.now();
    const code = await until('the worker to exit', () => w.proc.exitCode ?? null, 30_000, () => w.lines.join('\n'));
    expect(code, w.lines.join('\n')).toBe(69);
    expect((Date.now() - t0) / 1000).toBeLessThan(15);
    expect(w.lines.filter((l) => /lost Redis at/.test(l))).toHaveLength(1);
    expect(w.lines.join('\n')).toMatch(new RegExp(`stderr: peft: error: Redis at ${redis.url.replace(/[.]/g, '\\.')} is unreachable \\(.*gave up after 2 s\\)`));
    expect(w.lines.join('\n')).not.toMatch(/\n\s+at |Unhandled error event/);
  });
});
