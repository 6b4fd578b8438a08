import { existsSync, statSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DownloadError } from '../errors.js';
import { DATA_CATALOGUE, taskData, type DataCatalogue, type DataFile } from './catalogue.js';
import { copyLocal, fetchUrl, matches, writeStream, type ProgressListener } from './fetch-file.js';
import { forEachMember } from './zip-members.js';

/** Where `peft data get` takes files from: the official sources, or a mirror (a URL or a folder in the data layout). */
export type DataSource = { readonly kind: 'official' } | { readonly kind: 'url'; readonly base: string } | { readonly kind: 'folder'; readonly dir: string };

/** `--mirror` / `PEFT_DATA_MIRROR`: an http(s) URL, a file: URL or a folder; none = the official sources. */
export function parseMirror(mirror: string | undefined): DataSource {
  if (!mirror) return { kind: 'official' };
  if (/^https?:\/\//i.test(mirror)) return { kind: 'url', base: mirror.replace(/\/+$/, '') };
  const dir = /^file:/i.test(mirror) ? fileURLToPath(mirror) : resolve(mirror);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DownloadError('not-found', mirror, '', 'the mirror folder does not exist');
  return { kind: 'folder', dir };
}

export interface GetDataOptions {
  /** The data folder to fill (the cache `$PEFT_HOME/data` by default in the CLI). */
  readonly dir: string;
  readonly source?: DataSource;
  readonly catalogue?: DataCatalogue;
  /** Messages for the user (stderr in the CLI). */
  readonly log?: (line: string) => void;
  readonly onProgress?: ProgressListener;
}

/** One data file after `getData`: where it is, whether it was there already, whether a checksum vouches for it. */
export interface FileState {
  readonly file: DataFile;
  readonly path: string;
  readonly state: 'cached' | 'fetched';
  readonly verified: boolean;
}

/**
 * Makes `task`'s files present and verified in `options.dir`. A file already there is kept when it matches its sha256
 * (a corrupted one is fetched again); the others come from the mirror (same layout) or from the official sources
 * (URLs, or members of an official zip, which is downloaded into `<dir>/.downloads`, verified, extracted, removed).
 */
export async function getData(task: string, options: GetDataOptions): Promise<FileState[]> {
  const entry = taskData(task, options.catalogue ?? DATA_CATALOGUE);
  const source = options.source ?? { kind: 'official' };
  const log = options.log ?? (() => undefined);
  const states: FileState[] = [];
  const missing: DataFile[] = [];
  for (const file of entry.files) {
    const path = join(options.dir, file.path);
    if (!existsSync(path)) missing.push(file);
    else if (await matches(path, file)) states.push({ file, path, state: 'cached', verified: file.sha256 !== undefined });
    else {
      log(`${file.path}: the cached file does not match its ${file.sha256 ? 'sha256' : 'size'}: fetching it again`);
      missing.push(file);
    }
  }
  const byArchive = new Map<string, DataFile[]>();
  for (const file of missing) {
    const path = join(options.dir, file.path);
    if (source.kind === 'url') await fetchUrl(`${source.base}/${file.path.split('/').map(encodeURIComponent).join('/')}`, path, file.path, file, options.onProgress);
    else if (source.kind === 'folder') await copyLocal(join(source.dir, file.path), path, file.path, file, options.onProgress);
    else if ('url' in file.source) await fetchUrl(file.source.url, path, file.path, file, options.onProgress);
    else byArchive.set(file.source.archive, [...(byArchive.get(file.source.archive) ?? []), file]);
    if (!('archive' in file.source) || source.kind !== 'official') states.push({ file, path, state: 'fetched', verified: file.sha256 !== undefined });
  }
  for (const [name, files] of byArchive) {
    const archive = entry.archives[name];
    if (!archive) throw new DownloadError('archive', name, files.map((f) => f.path).join(', '), `the catalogue names no archive '${name}'`);
    const zipPath = join(options.dir, '.downloads', name);
    // a zip a killed run had verified but not yet extracted is used again
    if (existsSync(zipPath) && (await matches(zipPath, archive))) log(`${task}: using the verified ${name} of an earlier run`);
    else {
      log(`${task}: downloading ${name} (${(archive.size / 1e6).toFixed(1)} MB) from ${archive.url}`);
      await fetchUrl(archive.url, zipPath, `.downloads/${name}`, archive, options.onProgress);
    }
    const byMember = new Map(files.map((f) => [(f.source as { member: string }).member, f]));
    await forEachMember(zipPath, [...byMember.keys()], async (member, stream) => {
      const file = byMember.get(member)!;
      const path = join(options.dir, file.path);
      await writeStream(stream, `${archive.url}#${member}`, path, file.path, file, options.onProgress);
      // a member without its own checksum is vouched for by the verified zip it came from
      states.push({ file, path, state: 'fetched', verified: true });
    });
    await rm(zipPath, { force: true });
    await rmdir(join(options.dir, '.downloads')).catch(() => undefined); // when no other download is under way
  }
  for (const s of states) {
    if (s.state === 'fetched' && !s.verified) log(`WARNING: ${s.file.path} is NOT verified: ${s.file.checksumSource}`);
  }
  return entry.files.map((f) => states.find((s) => s.file === f)!);
}

/** Each file's state in `dir` without fetching: absent, present (unverifiable), verified, or corrupt. */
export async function inspectData(task: string, dir: string, catalogue: DataCatalogue = DATA_CATALOGUE): Promise<{ file: DataFile; status: 'absent' | 'present' | 'verified' | 'corrupt' }[]> {
  const entry = taskData(task, catalogue);
  const out: { file: DataFile; status: 'absent' | 'present' | 'verified' | 'corrupt' }[] = [];
  for (const file of entry.files) {
    const path = join(dir, file.path);
    if (!existsSync(path)) out.push({ file, status: 'absent' });
    else if (!(await matches(path, file))) out.push({ file, status: 'corrupt' });
    else out.push({ file, status: file.sha256 ? 'verified' : 'present' });
  }
  return out;
}
