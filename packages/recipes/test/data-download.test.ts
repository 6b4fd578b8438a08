import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ZipFile } from 'yazl';
import {
  closeDownloadClient, DATA_CATALOGUE, DataFileError, DownloadError, findDataDir, getData, loadCoqa, loadMnli, type DataCatalogue,
} from '../src/index.js';
import { main } from '../src/cli/main.js';
import { haveSharedData, SHARED_DATA } from '../../../test/shared-data.js';
import { closedPort, startMirror, startProxy, type LoopbackMirror } from './loopback-mirror.js';

const fixture = (f: string): string => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const temps: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'peft-data-'));
  temps.push(d);
  return d;
};

/** Runs `peft …` in this process with PEFT_HOME = `home` and no PEFT_DATA; returns the exit code and what it printed. */
async function peft(home: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const previous = { home: process.env.PEFT_HOME, data: process.env.PEFT_DATA };
  process.env.PEFT_HOME = home;
  delete process.env.PEFT_DATA; // the tests' reference data folder: not here, where the cache is under test
  try {
    const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    if (previous.home === undefined) delete process.env.PEFT_HOME;
    else process.env.PEFT_HOME = previous.home;
    if (previous.data !== undefined) process.env.PEFT_DATA = previous.data;
  }
}

/** Every file under `dir`, relative, `/`-separated. */
function filesUnder(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

// the loopback servers are reached directly: a proxy of the machine running the tests is not used here
const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'NO_PROXY', 'no_proxy'];
const savedProxy = Object.fromEntries(PROXY_VARIABLES.map((k) => [k, process.env[k]]));
beforeAll(async () => {
  for (const k of PROXY_VARIABLES) delete process.env[k];
  await closeDownloadClient();
});
afterEach(async () => {
  await closeDownloadClient();
});
afterAll(() => {
  for (const [k, v] of Object.entries(savedProxy)) if (v !== undefined) process.env[k] = v;
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

const SST2 = DATA_CATALOGUE.sst2!.files.map((f) => f.path);
const WEBNLG = DATA_CATALOGUE.webnlg!.files.map((f) => f.path);

// the reference copy: ../shared/data (PEFT_DATA in the tests), byte-identical to the official files; under CI=true its
// absence fails this file
describe.runIf(haveSharedData(...SST2, ...WEBNLG))('peft data get through a loopback mirror of the reference data', () => {
  let mirror: LoopbackMirror;
  beforeAll(async () => {
    mirror = await startMirror(SHARED_DATA);
  });
  afterAll(async () => {
    await mirror.close();
  });

  it('webnlg and sst2 land in $PEFT_HOME/data byte for byte; list says verified; path prints the folder; a second get fetches nothing', async () => {
    const home = temp();
    const r = await peft(home, 'data', 'get', 'webnlg', 'sst2', '--mirror', mirror.url);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.out).toBe(join(home, 'data'));
    for (const f of [...WEBNLG, ...SST2]) expect(readFileSync(join(home, 'data', f)).equals(readFileSync(join(SHARED_DATA, f))), f).toBe(true);
    expect(filesUnder(join(home, 'data')).sort()).toEqual([...WEBNLG, ...SST2].sort()); // no partial file, no zip left
    expect(r.err).toMatch(/data: webnlg: 34 files ready \(34 fetched, 0 already cached\)/);

    const list = await peft(home, 'data', 'list');
    expect(list.out).toMatch(/^sst2: GLUE SST-2 \(train, dev\); 2 files, 3\.9 MB; cached$/m);
    expect(list.out).toMatch(/^ {2}sst2\/SST-2\/train\.tsv {2}3\.8 MB {2}cached, sha256 verified$/m);
    expect(list.out).toMatch(/^mnli: .*not cached \(peft data get mnli\)$/m);
    const path = await peft(home, 'data', 'path', 'webnlg');
    expect([path.code, path.out]).toEqual([0, join(home, 'data')]);

    const before = mirror.requests.length;
    const again = await peft(home, 'data', 'get', 'sst2', '--mirror', mirror.url);
    expect(again.code).toBe(0);
    expect(again.err).toMatch(/2 files ready \(0 fetched, 2 already cached\)/);
    expect(mirror.requests.length).toBe(before);
  });

  it('a corrupted cached file is detected (list: CORRUPT) and fetched again', async () => {
    const home = temp();
    expect((await peft(home, 'data', 'get', 'sst2', '--mirror', mirror.url)).code).toBe(0);
    const dev = join(home, 'data', 'sst2/SST-2/dev.tsv');
    const bytes = readFileSync(dev);
    bytes[100] = bytes[100]! ^ 0x20;
    writeFileSync(dev, bytes);
    expect((await peft(home, 'data', 'list')).out).toMatch(/sst2\/SST-2\/dev\.tsv {2}0\.1 MB {2}CORRUPT/);
    const r = await peft(home, 'data', 'get', 'sst2', '--mirror', mirror.url);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/sst2\/SST-2\/dev\.tsv: the cached file does not match its sha256: fetching it again/);
    expect(r.err).toMatch(/1 fetched, 1 already cached/);
    expect(readFileSync(dev).equals(readFileSync(join(SHARED_DATA, 'sst2/SST-2/dev.tsv')))).toBe(true);
  });

  it('a truncated body is a typed error naming URL and file, leaves no readable file, and the next run resumes with a Range request', async () => {
    const home = temp();
    mirror.faults.set('sst2/SST-2/train.tsv', { truncateAt: 1_000_000, once: true });
    const r = await peft(home, 'data', 'get', 'sst2', '--mirror', mirror.url);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`peft: error: sst2/SST-2/train\\.tsv \\(from ${mirror.url}/sst2/SST-2/train\\.tsv\\): the body ended after 1000000 of 3806081 bytes`));
    const train = join(home, 'data', 'sst2/SST-2/train.tsv');
    expect(existsSync(train)).toBe(false);
    expect(readFileSync(`${train}.partial`).length).toBe(1_000_000);

    const again = await peft(home, 'data', 'get', 'sst2', '--mirror', mirror.url);
    expect(again.code).toBe(0);
    expect(mirror.requests.filter((q) => q.url.endsWith('/train.tsv')).at(-1)!.range).toBe('bytes=1000000-');
    expect(readFileSync(train).equals(readFileSync(join(SHARED_DATA, 'sst2/SST-2/train.tsv')))).toBe(true);
    expect(existsSync(`${train}.partial`)).toBe(false);
  });

  it('a server that ignores Range: the partial file is started over, and the result is byte-identical', async () => {
    const home = temp();
    mirror.faults.set('sst2/SST-2/train.tsv', { truncateAt: 500_000, once: true });
    expect((await peft(home, 'data', 'get', 'sst2', '--mirror', mirror.url)).code).toBe(1);
    const train = join(home, 'data', 'sst2/SST-2/train.tsv');
    expect(readFileSync(`${train}.partial`).length).toBe(500_000);
    mirror.ignoreRange = true;
    try {
      const again = await peft(home, 'data', 'get', 'sst2', '--mirror', mirror.url);
      expect(again.code).toBe(0);
    } finally {
      mirror.ignoreRange = false;
    }
    expect(mirror.requests.filter((q) => q.url.endsWith('/train.tsv')).at(-1)!.range).toBe('bytes=500000-'); // asked, got 200
    expect(readFileSync(train).equals(readFileSync(join(SHARED_DATA, 'sst2/SST-2/train.tsv')))).toBe(true);
    expect(existsSync(`${train}.partial`)).toBe(false);
  });

  it('HTTP 404 is a typed error naming the URL and the file; exit 1; nothing written', async () => {
    const home = temp();
    const r = await peft(home, 'data', 'get', 'sst2', '--mirror', `${mirror.url}/no-such-folder`);
    expect(r.code).toBe(1);
    expect(r.err.split('\n').at(-1)).toBe(`peft: error: sst2/SST-2/train.tsv (from ${mirror.url}/no-such-folder/sst2/SST-2/train.tsv): HTTP 404`);
    expect(filesUnder(join(home, 'data'))).toEqual([]);
  });

  it('a checksum mismatch is a typed error; the bytes are not kept (no file, no partial file)', async () => {
    const bad = temp();
    mkdirSync(join(bad, 'sst2/SST-2'), { recursive: true });
    copyFileSync(join(SHARED_DATA, 'sst2/SST-2/train.tsv'), join(bad, 'sst2/SST-2/train.tsv'));
    writeFileSync(join(bad, 'sst2/SST-2/dev.tsv'), readFileSync(join(SHARED_DATA, 'sst2/SST-2/dev.tsv'), 'utf8').replace('sentence\tlabel', 'sentence\tLABEL'));
    const badMirror = await startMirror(bad);
    try {
      const home = temp();
      const r = await peft(home, 'data', 'get', 'sst2', '--mirror', badMirror.url);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`^peft: error: sst2/SST-2/dev\\.tsv \\(from ${badMirror.url}/sst2/SST-2/dev\\.tsv\\): checksum mismatch: sha256 [0-9a-f]{64}, expected 54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0; the bytes were not kept$`, 'm'));
      expect(filesUnder(join(home, 'data'))).toEqual(['sst2/SST-2/train.tsv']); // the good file stays, verified
    } finally {
      await badMirror.close();
    }
  });

  it('the official path for sst2: GLUE\'s zip (here built from the reference files) verified, its members checked against the catalogue\'s sha256', async () => {
    const zip = await zipOf({
      'SST-2/train.tsv': readFileSync(join(SHARED_DATA, 'sst2/SST-2/train.tsv')),
      'SST-2/dev.tsv': readFileSync(join(SHARED_DATA, 'sst2/SST-2/dev.tsv')),
      'SST-2/test.tsv': Buffer.from('index\tsentence\n'),
    });
    const served = temp();
    writeFileSync(join(served, 'SST-2.zip'), zip);
    const zipServer = await startMirror(served);
    try {
      const catalogue: DataCatalogue = {
        sst2: { ...DATA_CATALOGUE.sst2!, archives: { 'SST-2.zip': { url: `${zipServer.url}/SST-2.zip`, size: zip.length, sha256: sha256(zip), checksumSource: 'test' } } },
      };
      const dir = temp();
      const states = await getData('sst2', { dir, catalogue });
      expect(states.map((s) => [s.file.path, s.state, s.verified])).toEqual([['sst2/SST-2/train.tsv', 'fetched', true], ['sst2/SST-2/dev.tsv', 'fetched', true]]);
      expect(filesUnder(dir).sort()).toEqual([...SST2].sort()); // test.tsv not extracted, the zip and .downloads removed
      for (const f of SST2) expect(readFileSync(join(dir, f)).equals(readFileSync(join(SHARED_DATA, f)))).toBe(true);
    } finally {
      await zipServer.close();
    }
  });

  it('a mirror folder (here the reference data itself) works as well as a URL', async () => {
    const home = temp();
    const r = await peft(home, 'data', 'get', 'sst2', '--mirror', SHARED_DATA);
    expect(r.code).toBe(0);
    for (const f of SST2) expect(readFileSync(join(home, 'data', f)).equals(readFileSync(join(SHARED_DATA, f)))).toBe(true);
    expect((await peft(home, 'data', 'get', 'sst2', '--mirror', join(home, 'nowhere'))).err).toMatch(/nowhere\): the mirror folder does not exist/);
  });

  it('honours HTTP_PROXY (a loopback proxy forwards every request) and PEFT_DATA_MIRROR', async () => {
    const proxy = await startProxy();
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy, PEFT_DATA_MIRROR: process.env.PEFT_DATA_MIRROR };
    process.env.HTTP_PROXY = proxy.url;
    process.env.NO_PROXY = '';
    delete process.env.no_proxy;
    process.env.PEFT_DATA_MIRROR = mirror.url;
    try {
      await closeDownloadClient(); // the client reads the proxy variables when it is created
      const home = temp();
      const r = await peft(home, 'data', 'get', 'sst2');
      expect(r.code).toBe(0);
      expect(proxy.forwarded).toEqual([`CONNECT ${new URL(mirror.url).host}`]); // one tunnel, kept alive for both files
      expect(mirror.requests.slice(-2).map((q) => q.url)).toEqual(['/sst2/SST-2/train.tsv', '/sst2/SST-2/dev.tsv']);
      expect(readFileSync(join(home, 'data', 'sst2/SST-2/dev.tsv')).equals(readFileSync(join(SHARED_DATA, 'sst2/SST-2/dev.tsv')))).toBe(true);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await closeDownloadClient();
      await proxy.close();
    }
  });
});

describe('peft data get: failures without a server', () => {
  it('connection refused is a typed network error naming the URL and the file; exit 1; nothing written', async () => {
    const home = temp();
    const port = await closedPort();
    const r = await peft(home, 'data', 'get', 'coqa', '--mirror', `http://127.0.0.1:${port}`);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^peft: error: coqa/coqa-train-v1\\.0\\.json \\(from http://127\\.0\\.0\\.1:${port}/coqa/coqa-train-v1\\.0\\.json\\): no connection \\(.*ECONNREFUSED`, 'm'));
    expect(filesUnder(join(home, 'data'))).toEqual([]);
  });

  it('a host that does not resolve (DNS) is a typed network error naming the URL and the file', async () => {
    const home = temp();
    const r = await peft(home, 'data', 'get', 'sst2', '--mirror', 'http://peft-data-test.invalid');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^peft: error: sst2\/SST-2\/train\.tsv \(from http:\/\/peft-data-test\.invalid\/sst2\/SST-2\/train\.tsv\): no connection \(.*(ENOTFOUND|EAI_AGAIN)/m);
    expect(filesUnder(join(home, 'data'))).toEqual([]);
  });

  it('an unknown task is an error listing the known ones', async () => {
    const r = await peft(temp(), 'data', 'get', 'squad');
    expect(r.code).toBe(2); // an unknown name is the user's input (UnknownNameError, kind 'input')
    expect(r.err).toBe("peft: error: unknown data set 'squad' (known: webnlg, sst2, mnli, coqa)");
  });
});

/** A zip holding `members` (name → bytes), as a Buffer. */
async function zipOf(members: Record<string, Buffer>): Promise<Buffer> {
  const zip = new ZipFile();
  for (const [name, bytes] of Object.entries(members)) zip.addBuffer(bytes, name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

describe('MNLI and CoQA mechanics, with fixture files in the official formats and the catalogue pointed at a loopback server', () => {
  let server: LoopbackMirror;
  let served: string;
  let mnliZip: Buffer;
  const mnliMembers = {
    'MNLI/train.tsv': readFileSync(fixture('mnli-train.tsv')),
    'MNLI/dev_matched.tsv': readFileSync(fixture('mnli-dev_matched.tsv')),
    'MNLI/dev_mismatched.tsv': readFileSync(fixture('mnli-dev_matched.tsv')),
    'MNLI/README.txt': Buffer.from('not extracted\n'),
  };
  beforeAll(async () => {
    served = temp();
    mnliZip = await zipOf(mnliMembers);
    writeFileSync(join(served, 'MNLI.zip'), mnliZip);
    writeFileSync(join(served, 'MNLI-bad.zip'), await zipOf({ ...mnliMembers, 'MNLI/train.tsv': Buffer.from('changed\n') }));
    copyFileSync(fixture('coqa-dev-v1.0.json'), join(served, 'coqa-dev-v1.0.json'));
    server = await startMirror(served);
  });
  afterAll(async () => {
    await server.close();
  });

  const mnliCatalogue = (zipName: string, sha: string): DataCatalogue => ({
    mnli: { ...DATA_CATALOGUE.mnli!, archives: { 'MNLI.zip': { url: `${server.url}/${zipName}`, size: mnliZip.length, sha256: sha, checksumSource: 'test' } } },
  });

  it('mnli: the official zip is downloaded, verified, its three members extracted to mnli/MNLI/, the zip removed; loadMnli reads them', async () => {
    const dir = temp();
    const log: string[] = [];
    const states = await getData('mnli', { dir, catalogue: mnliCatalogue('MNLI.zip', sha256(mnliZip)), log: (l) => log.push(l) });
    expect(states.map((s) => [s.file.path, s.state, s.verified])).toEqual([
      ['mnli/MNLI/train.tsv', 'fetched', true],
      ['mnli/MNLI/dev_matched.tsv', 'fetched', true],
      ['mnli/MNLI/dev_mismatched.tsv', 'fetched', true],
    ]);
    expect(filesUnder(dir).sort()).toEqual(['mnli/MNLI/dev_matched.tsv', 'mnli/MNLI/dev_mismatched.tsv', 'mnli/MNLI/train.tsv']);
    expect(readFileSync(join(dir, 'mnli/MNLI/train.tsv')).equals(mnliMembers['MNLI/train.tsv'])).toBe(true);
    expect(loadMnli(join(dir, 'mnli/MNLI/dev_matched.tsv'))).toEqual(loadMnli(fixture('mnli-dev_matched.tsv')));
    expect(log[0]).toMatch(/^mnli: downloading MNLI\.zip \(0\.0 MB\) from http:\/\/127\.0\.0\.1:\d+\/MNLI\.zip$/);
    // the recipe's files are where `peft train mnli` looks
    expect(findDataDir('mnli', ['mnli/MNLI/train.tsv', 'mnli/MNLI/dev_matched.tsv', 'mnli/MNLI/dev_mismatched.tsv'], dir)).toBe(dir);
  });

  it('mnli: a verified zip left by an interrupted run is extracted without downloading it again', async () => {
    const dir = temp();
    mkdirSync(join(dir, '.downloads'));
    writeFileSync(join(dir, '.downloads', 'MNLI.zip'), mnliZip);
    const before = server.requests.length;
    const log: string[] = [];
    await getData('mnli', { dir, catalogue: mnliCatalogue('MNLI.zip', sha256(mnliZip)), log: (l) => log.push(l) });
    expect(server.requests.length).toBe(before);
    expect(log[0]).toBe('mnli: using the verified MNLI.zip of an earlier run');
    expect(filesUnder(dir).sort()).toEqual(['mnli/MNLI/dev_matched.tsv', 'mnli/MNLI/dev_mismatched.tsv', 'mnli/MNLI/train.tsv']);
  });

  it('mnli: a zip that differs from its checksum is rejected before anything is extracted', async () => {
    const dir = temp();
    const err = await getData('mnli', { dir, catalogue: mnliCatalogue('MNLI-bad.zip', sha256(mnliZip)) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).failure).toBe('checksum');
    expect((err as DownloadError).url).toBe(`${server.url}/MNLI-bad.zip`);
    expect((err as DownloadError).file).toBe('.downloads/MNLI.zip');
    expect(filesUnder(dir)).toEqual([]);
  });

  it('mnli from a mirror: files without a published checksum are fetched but reported NOT verified, loudly', async () => {
    const mirrorDir = temp();
    for (const [member, bytes] of Object.entries(mnliMembers)) {
      mkdirSync(dirname(join(mirrorDir, 'mnli', member)), { recursive: true });
      writeFileSync(join(mirrorDir, 'mnli', member), bytes);
    }
    const dir = temp();
    const log: string[] = [];
    const states = await getData('mnli', { dir, source: { kind: 'folder', dir: mirrorDir }, log: (l) => log.push(l) });
    expect(states.every((s) => s.state === 'fetched' && !s.verified)).toBe(true);
    expect(log).toContain('WARNING: mnli/MNLI/train.tsv is NOT verified: none published for the extracted file (only MNLI.zip has one): NOT verified when taken from a mirror');
  });

  it('coqa: fetched from its URL with its sha256; loadCoqa reads it; a wrong sha256 keeps nothing', async () => {
    const bytes = readFileSync(fixture('coqa-dev-v1.0.json'));
    const coqa = (sha: string): DataCatalogue => ({
      coqa: {
        ...DATA_CATALOGUE.coqa!,
        files: [{ path: 'coqa/coqa-dev-v1.0.json', size: bytes.length, sha256: sha, checksumSource: 'test', source: { url: `${server.url}/coqa-dev-v1.0.json` } }],
      },
    });
    const dir = temp();
    const [state] = await getData('coqa', { dir, catalogue: coqa(sha256(bytes)) });
    expect([state!.state, state!.verified]).toEqual(['fetched', true]);
    expect(loadCoqa(join(dir, 'coqa/coqa-dev-v1.0.json'))).toEqual(loadCoqa(fixture('coqa-dev-v1.0.json')));

    const other = temp();
    const err = await getData('coqa', { dir: other, catalogue: coqa('0'.repeat(64)) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).message).toMatch(/^coqa\/coqa-dev-v1\.0\.json \(from http:\/\/127\.0\.0\.1:\d+\/coqa-dev-v1\.0\.json\): checksum mismatch/);
    expect(filesUnder(other)).toEqual([]);
  });
});

describe('where commands read data: --data, then PEFT_DATA, then the cache', () => {
  const files = ['sst2/SST-2/train.tsv', 'sst2/SST-2/dev.tsv'];
  const withSst2 = (): string => {
    const d = temp();
    mkdirSync(join(d, 'sst2/SST-2'), { recursive: true });
    for (const f of files) writeFileSync(join(d, f), 'sentence\tlabel\n');
    return d;
  };

  it('takes --data first, then PEFT_DATA when it holds the task, then $PEFT_HOME/data', () => {
    const given = withSst2();
    const env = withSst2();
    const home = temp();
    mkdirSync(join(home, 'data'));
    const cache = join(home, 'data');
    expect(findDataDir('sst2', files, given, { PEFT_DATA: env, PEFT_HOME: home })).toBe(given);
    expect(findDataDir('sst2', files, undefined, { PEFT_DATA: env, PEFT_HOME: home })).toBe(env);
    mkdirSync(join(cache, 'sst2/SST-2'), { recursive: true });
    for (const f of files) writeFileSync(join(cache, f), 'x');
    expect(findDataDir('sst2', files, undefined, { PEFT_DATA: temp(), PEFT_HOME: home })).toBe(cache); // PEFT_DATA lacks sst2
    expect(findDataDir('sst2', files, undefined, { PEFT_HOME: home })).toBe(cache);
  });

  it('when none holds the task, the error names the exact peft data get command', () => {
    const home = temp();
    const empty = temp();
    expect(() => findDataDir('sst2', files, undefined, { PEFT_DATA: empty, PEFT_HOME: home })).toThrow(DataFileError);
    expect(() => findDataDir('sst2', files, undefined, { PEFT_DATA: empty, PEFT_HOME: home })).toThrow(
      `${join(home, 'data', 'sst2/SST-2/train.tsv')}: no sst2 data in ${empty} ($PEFT_DATA) or ${join(home, 'data')} (the cache): run \`peft data get sst2\` (or pass --data DIR)`,
    );
    expect(() => findDataDir('sst2', files, empty, {})).toThrow(`not found in the --data folder; \`peft data get sst2 --dir ${empty}\` fetches it there`);
  });

  it('peft data path names the command when the task is absent (exit 1)', async () => {
    const home = temp();
    const r = await peft(home, 'data', 'path', 'mnli');
    expect(r.code).toBe(1);
    expect(r.err).toBe(`peft: error: ${join(home, 'data', 'mnli/MNLI/train.tsv')}: no mnli data in ${join(home, 'data')} (the cache): run \`peft data get mnli\` (or pass --data DIR)`);
  });
});
