// The one mapping of file-system failures (toFileSystemError), mkdir -p that names the folder at fault, and the removal
// of the temporary files a killed atomic write leaves.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSystemError, makeDirectory, removeStaleTempFiles, toFileSystemError, writeFileAtomic } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'peft-fs-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errno(code: string, path?: string): Error {
  return Object.assign(new Error(`${code}: raw`), { code, syscall: 'open', ...(path ? { path } : {}) });
}

describe('toFileSystemError', () => {
  it('maps a Node errno error to a FileSystemError naming path, operation and errno; leaves anything else alone', () => {
    const e = toFileSystemError(errno('ENOSPC'), '/data/run/checkpoint.safetensors', 'write') as FileSystemError;
    expect(e).toBeInstanceOf(FileSystemError);
    expect(e.message).toBe('/data/run/checkpoint.safetensors: cannot write: no space left on the device (ENOSPC)');
    expect([e.code, e.errno, e.path]).toEqual(['E_FS', 'ENOSPC', '/data/run/checkpoint.safetensors']);
    expect((toFileSystemError(errno('EROFS', '/ro/x')) as FileSystemError).message).toBe('/ro/x: cannot open: the file system is read-only (EROFS)');
    const plain = new TypeError('not a file-system error');
    expect(toFileSystemError(plain)).toBe(plain);
    expect(toFileSystemError(e)).toBe(e);
  });
});

describe('makeDirectory and writeFileAtomic', () => {
  it('names the file that blocks a path (ENOTDIR) and a symlink loop (ELOOP)', async () => {
    writeFileSync(join(dir, 'file'), 'x');
    await expect(makeDirectory(join(dir, 'file', 'a', 'b'))).rejects.toThrow(`${join(dir, 'file')}: cannot create ${join(dir, 'file', 'a', 'b')} inside it: not a directory (ENOTDIR)`);
    symlinkSync(join(dir, 'loop'), join(dir, 'loop'));
    await expect(writeFileAtomic(join(dir, 'loop', 'x.json'), '{}')).rejects.toThrow(/\(ELOOP\)$/);
    await makeDirectory(join(dir, 'new', 'deep'));
    expect(existsSync(join(dir, 'new', 'deep'))).toBe(true);
  });

  it('a directory in the way of an atomic write: EISDIR named, and no temporary file left', async () => {
    mkdirSync(join(dir, 'target.bin', 'inside'), { recursive: true });
    await expect(writeFileAtomic(join(dir, 'target.bin'), 'data')).rejects.toThrow(`${join(dir, 'target.bin')}: cannot write: it is a directory (EISDIR)`);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('removeStaleTempFiles', () => {
  it('removes the temporary files of dead processes (in subfolders too), keeps a live process\'s and other files', async () => {
    const run = join(dir, 'run');
    mkdirSync(join(run, 'adapter'), { recursive: true });
    const dead = [join(run, '.checkpoint.safetensors.4194999.deadbeef.tmp'), join(run, 'adapter', '.adapter_config.json.4194998.00c0ffee.tmp')];
    const live = join(run, `.metrics.json.${process.ppid}.0123abcd.tmp`);
    const other = join(run, 'notes.tmp');
    for (const f of [...dead, live, other]) writeFileSync(f, 'x');
    expect((await removeStaleTempFiles(run)).sort()).toEqual(dead.sort());
    expect([live, other].every(existsSync)).toBe(true);
    expect(await removeStaleTempFiles(join(dir, 'absent'))).toEqual([]);
  });
});
