import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FileSystemError, toFileSystemError } from './errors.js';
import { processAlive } from './io.js';

/** `.<name>.<pid>.<8 hex>.tmp`: the temporary files of {@link writeFileAtomic}. */
const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * Writes a file so that a reader sees the old content or the new, never a torn one: the bytes go to a temporary file
 * beside the target, are fsynced, and the temporary file is renamed over the target (atomic on POSIX). A failure
 * removes the temporary file and is thrown as a {@link FileSystemError} naming `path`.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  await makeDirectory(dir);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fh;
  try {
    fh = await open(tmp, 'w');
  } catch (e) {
    throw toFileSystemError(e, path, 'write');
  }
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw toFileSystemError(e, path, 'write');
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw toFileSystemError(e, path, 'write');
  }
  // make the rename itself durable
  const dh = await open(dir, 'r').catch(() => undefined);
  if (dh) {
    await dh.sync().catch(() => undefined);
    await dh.close();
  }
}

/**
 * `mkdir -p`, one level at a time from the nearest existing ancestor, so the error is the kernel's for the folder at
 * fault (a read-only mount gives EROFS, not Node's recursive ENOENT; `/proc/x` fails at once instead of looping) and is
 * thrown as a {@link FileSystemError} naming that folder.
 */
export async function makeDirectory(path: string): Promise<void> {
  const missing: string[] = [];
  let p = resolve(path);
  for (;;) {
    try {
      const st = await stat(p);
      if (!st.isDirectory()) throw new FileSystemError(p, 'ENOTDIR', `create ${path} inside it`);
      break;
    } catch (e) {
      if (e instanceof FileSystemError) throw e;
      const code = (e as { code?: string }).code;
      // ENOTDIR: walk up to the component that is a file, and name it
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw toFileSystemError(e, p, 'create a directory');
      missing.unshift(p);
      const parent = dirname(p);
      if (parent === p) break;
      p = parent;
    }
  }
  for (const m of missing) {
    try {
      await mkdir(m);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EEXIST') continue;
      // ENOENT from mkdir under an existing parent: a pseudo file system (procfs, sysfs) that takes no new folders
      throw toFileSystemError(e, m, code === 'ENOENT' ? `create a directory (${dirname(m)} accepts no new entries)` : 'create a directory');
    }
  }
}

/**
 * Removes the temporary files that a killed {@link writeFileAtomic} left under `dir` (recursively), except those of a
 * process still alive; returns the paths removed.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  const removed: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return removed;
    throw toFileSystemError(e, dir, 'list the directory');
  }
  for (const entry of entries) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) removed.push(...(await removeStaleTempFiles(p)));
    else {
      const m = TEMP_NAME.exec(entry.name);
      if (m && (Number(m[1]) === process.pid || !processAlive(Number(m[1])))) {
        try {
          await rm(p, { force: true });
        } catch (e) {
          throw toFileSystemError(e, p, 'remove a stale temporary file');
        }
        removed.push(p);
      }
    }
  }
  return removed;
}
