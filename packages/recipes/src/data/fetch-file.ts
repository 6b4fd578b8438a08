import { createHash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, existsSync, openSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EnvHttpProxyAgent, interceptors, request, type Dispatcher } from 'undici';
import { DownloadError } from '../errors.js';

/** What a fetched file must be; either part may be unknown (no published size / checksum). */
export interface Expected {
  readonly size: number | undefined;
  readonly sha256: string | undefined;
}

/** Bytes so far of one file; `total` when known. */
export type ProgressListener = (file: string, received: number, total: number | undefined) => void;

/** The suffix of a file being written; readers never open it, a later run resumes or removes it. */
export const PARTIAL_SUFFIX = '.partial';

let sharedDispatcher: Dispatcher | undefined;

/**
 * The HTTP client of every download: undici's EnvHttpProxyAgent (HTTPS_PROXY, HTTP_PROXY, NO_PROXY and their lower-case
 * forms, read when it is first used) following up to 5 redirects.
 */
function dispatcher(): Dispatcher {
  sharedDispatcher ??= new EnvHttpProxyAgent().compose(interceptors.redirect({ maxRedirections: 5 }));
  return sharedDispatcher;
}

/** Closes the shared HTTP client (its keep-alive sockets), so a process or test can end. */
export async function closeDownloadClient(): Promise<void> {
  const d = sharedDispatcher;
  sharedDispatcher = undefined;
  await d?.close();
}

/** sha256 (hex) and size of a file on disk. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Whether the file at `path` has the expected size and sha256 (parts not known are not checked). */
export async function matches(path: string, expected: Expected): Promise<boolean> {
  if (expected.size !== undefined && (await stat(path)).size !== expected.size) return false;
  if (expected.sha256 === undefined) return true;
  return (await hashFile(path)).sha256 === expected.sha256;
}

/**
 * Fetches `url` into `dest` for data file `file`: the body goes to `dest.partial` in the same folder (resumed with an
 * HTTP Range request when a partial file is there), is fsynced, checked against `expected`, and only then renamed to
 * `dest`. A resumed body that fails the check is fetched once more from the start.
 */
export async function fetchUrl(url: string, dest: string, file: string, expected: Expected, onProgress?: ProgressListener): Promise<void> {
  const partial = dest + PARTIAL_SUFFIX;
  await mkdir(dirname(dest), { recursive: true });
  const resumedFrom = existsSync(partial) ? (await stat(partial)).size : 0;
  try {
    await download(url, partial, file, resumedFrom, onProgress);
    await verifyAndPlace(partial, dest, url, file, expected);
  } catch (e) {
    if (!(resumedFrom > 0 && e instanceof DownloadError && e.failure === 'checksum')) throw e;
    // the partial file of an earlier run was not a prefix of this body: start over
    await rm(partial, { force: true });
    await download(url, partial, file, 0, onProgress);
    await verifyAndPlace(partial, dest, url, file, expected);
  }
}

/** Copies a mirror folder's file into `dest` the same way (partial file, fsync, check, rename). */
export async function copyLocal(source: string, dest: string, file: string, expected: Expected, onProgress?: ProgressListener): Promise<void> {
  if (!existsSync(source)) throw new DownloadError('not-found', source, file, 'no such file in the mirror folder');
  await writeStream(createReadStream(source), source, dest, file, expected, onProgress);
}

/** Writes a stream (an archive member, a local copy) into `dest` through a partial file, then checks and renames it. */
export async function writeStream(body: Readable, source: string, dest: string, file: string, expected: Expected, onProgress?: ProgressListener): Promise<void> {
  const partial = dest + PARTIAL_SUFFIX;
  await mkdir(dirname(dest), { recursive: true });
  let received = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      onProgress?.(file, received, expected.size);
      done(null, chunk);
    },
  });
  await pipeline(body, count, createWriteStream(partial));
  await verifyAndPlace(partial, dest, source, file, expected);
}

async function download(url: string, partial: string, file: string, from: number, onProgress?: ProgressListener): Promise<void> {
  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, { dispatcher: dispatcher(), headers: from > 0 ? { range: `bytes=${from}-` } : {} });
  } catch (e) {
    throw new DownloadError('network', url, file, `no connection (${describe(e)})`, { cause: e });
  }
  const { statusCode, headers, body } = response;
  if (statusCode === 416 && from > 0) {
    // the partial file is as long as the whole body (or longer): start over
    await body.dump();
    await rm(partial, { force: true });
    return download(url, partial, file, 0, onProgress);
  }
  if (statusCode < 200 || statusCode >= 300) {
    await body.dump().catch(() => undefined);
    throw new DownloadError(statusCode === 404 ? 'not-found' : 'http-status', url, file, `HTTP ${statusCode}`);
  }
  const append = statusCode === 206 && from > 0 && contentRangeStart(headers['content-range']) === from;
  if (statusCode === 206 && !append) {
    await body.dump().catch(() => undefined);
    throw new DownloadError('http-status', url, file, `HTTP 206 with an unexpected Content-Range '${String(headers['content-range'])}'`);
  }
  const start = append ? from : 0;
  const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined;
  const total = length !== undefined ? start + length : undefined;
  let received = start;
  const fd = openSync(partial, append ? 'a' : 'w');
  try {
    // Written synchronously from flowing 'data' events, so undici's parser is never paused by backpressure: a paused
    // parser whose server closes the connection crashes undici 7 with an uncatchable assert(!this.paused)
    // (nodejs/undici#5360, fixed only in undici 8, which needs Node 22).
    await new Promise<void>((resolve, reject) => {
      body.on('data', (chunk: Buffer) => {
        writeSync(fd, chunk);
        received += chunk.length;
        onProgress?.(file, received, total);
      });
      body.on('end', resolve);
      body.on('error', reject);
    });
  } catch (e) {
    // the partial file stays for the next run to resume
    throw new DownloadError('truncated', url, file, `the body ended after ${received}${total !== undefined ? ` of ${total}` : ''} bytes (${describe(e)})`, { cause: e });
  } finally {
    closeSync(fd);
  }
  if (total !== undefined && received !== total) {
    throw new DownloadError('truncated', url, file, `the body ended after ${received} of ${total} bytes`);
  }
}

/** Checks the partial file, removes it when it is wrong, else fsyncs and renames it over `dest`. */
async function verifyAndPlace(partial: string, dest: string, source: string, file: string, expected: Expected): Promise<void> {
  const fh = await open(partial, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  const got = await hashFile(partial);
  const sizeWrong = expected.size !== undefined && got.size !== expected.size;
  const hashWrong = expected.sha256 !== undefined && got.sha256 !== expected.sha256;
  if (sizeWrong || hashWrong) {
    await rm(partial, { force: true });
    const what = sizeWrong ? `${got.size} bytes, expected ${expected.size}` : `sha256 ${got.sha256}, expected ${expected.sha256}`;
    throw new DownloadError('checksum', source, file, `checksum mismatch: ${what}; the bytes were not kept`);
  }
  await rename(partial, dest);
  await syncFolder(dirname(dest));
}

async function syncFolder(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // not every platform can fsync a folder (Windows); the rename itself is atomic
  }
}

function contentRangeStart(value: string | string[] | undefined): number | undefined {
  const m = /^bytes (\d+)-/.exec(String(value ?? ''));
  return m ? Number(m[1]) : undefined;
}

function describe(e: unknown): string {
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code;
  const message = err.cause?.message ?? err.message ?? String(e);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
